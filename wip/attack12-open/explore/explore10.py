# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys, time; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
from pq import PQ
s=Server(); s.start()
d=s.connect('dba'); sa=s.connect('secadmin')
print(run(d,"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"), run(d,"CREATE TABLE o (x int)"), run(d,"INSERT INTO t VALUES (1,'a')"))
print(run(sa,"CREATE COMMAND RULE nd FOR DELETE ON TABLE t DENY WHEN TRUE MESSAGE 'no delete'"))
p=PQ(s.port,'dba',PW['dba'])
for first in ["BEGIN; DELETE FROM t WHERE id=1", "BEGIN; SELECT * FROM nope", "BEGIN; SELECT * FROM t"]:
    print(first, p.exec(first), p.tx())
    t0=time.time(); print('  other session insert:', run(d,"INSERT INTO o VALUES (1)"), round(time.time()-t0,1),'s')
    print('  ', p.exec("ROLLBACK"))
s.cleanup()
