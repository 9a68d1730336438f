# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
s=Server(); s.start(); print(s.tmp, s.port)
d=s.connect('dba'); sa=s.connect('secadmin')
for q in ["CREATE TABLE users (id INTEGER PRIMARY KEY, ssn TEXT)", "INSERT INTO users VALUES (1,'078-05-1120')", "CREATE TABLE scratch(x int)"]:
    print(q, run(d,q))
for q in ["CREATE REALM pii DESCRIPTION 'p' REQUIRE VAULT PASSWORD 'vpw-1'", "ALTER REALM pii ADD TABLE users",
          "CREATE REALM hr DESCRIPTION 'h' REQUIRE VAULT PASSWORD 'hrpw-1' TABLESPACE hr_ts"]:
    print(q, run(sa,q))
print(run(d,"CREATE TABLE sal (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE hr_ts"))
print(run(d,"UNLOCK REALM hr PASSWORD 'hrpw-1'"))
print(run(d,"INSERT INTO sal VALUES (1,100)"))
print(run(d,"LOCK REALM hr"))
tests = [
 "SELECT * FROM users",
 "UNLOCK REALM pii PASSWORD 'vpw-1'; SELECT * FROM users; LOCK REALM pii",
 "SELECT * FROM users",
 "UNLOCK REALM pii PASSWORD 'vpw-1'; LOCK REALM pii; SELECT * FROM users",
 "SELECT * FROM users",
 "UNLOCK REALM hr PASSWORD 'hrpw-1'; SELECT * FROM sal",
 "SELECT * FROM sal; LOCK REALM hr; SELECT * FROM sal",
 "SELECT * FROM sal",
 "UNLOCK REALM hr PASSWORD 'hrpw-1'",
 "SELECT 1; LOCK REALM hr; SELECT * FROM sal",
 "UNLOCK REALM hr PASSWORD 'hrpw-1'",
 "BEGIN; SELECT * FROM sal; LOCK REALM hr; SELECT * FROM sal; COMMIT",
 "ROLLBACK",
 "SELECT * FROM sal",
 "SELECT 1; UNLOCK REALM hr PASSWORD 'hrpw-1'; SELECT * FROM sal",
 "SELECT * FROM sal",
 "LOCK REALM hr",
]
for q in tests: print(q, '=>', run(d,q))
s.stop()
