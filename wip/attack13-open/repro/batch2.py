import sys, threading, time
sys.path.insert(0,'/work/attack3/repro')
from common import *
d = conn('dba')
def run(c, *sqls):
    for s in sqls:
        print('  ', s, '->', q(c, s), status(c))
run(d, "CREATE TABLE IF NOT EXISTS par (id INTEGER PRIMARY KEY)", "CREATE TABLE IF NOT EXISTS ch (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES par(id) DEFERRABLE INITIALLY DEFERRED)", "DELETE FROM ch", "DELETE FROM t")
print('F1 failed COMMIT (deferred FK) then ROLLBACK TO')
run(d, "BEGIN", "INSERT INTO t VALUES (100,'before-sp')", "SAVEPOINT a", "INSERT INTO ch VALUES (1, 999)", "COMMIT", "ROLLBACK TO a", "COMMIT", "SELECT * FROM t")
print('F2 rollback to nonexistent in failed block')
run(d, "BEGIN", "SAVEPOINT a", "SELECT 1/0x", "ROLLBACK TO zz", "SELECT 1", "ROLLBACK TO A", "SELECT 1", "ROLLBACK")
print('L1 lock after refusal')
run(d, "BEGIN", "DELETE FROM p")
d2 = conn('dba'); q(d2, "SET statement_timeout = 3000")
t0=time.time(); print('  other session insert', q(d2, "INSERT INTO t VALUES (200,'other')"), round(time.time()-t0,2))
run(d, "ROLLBACK")
print('L2 refused after ROLLBACK TO of a write')
run(d, "BEGIN", "SAVEPOINT a", "INSERT INTO t VALUES (201,'x')", "ROLLBACK TO a", "DELETE FROM p")
t0=time.time(); print('  other session insert', q(d2, "INSERT INTO t VALUES (202,'other')"), round(time.time()-t0,2))
run(d, "ROLLBACK")
print('C1 COPY refused in BEGIN')
import io
d.autocommit=True
q(d,"BEGIN"); cur=d.cursor()
try:
    cur.copy_expert("COPY p FROM STDIN", io.StringIO("5\tx\n")); print('  copy ok')
except Exception as e: print('  copy err', getattr(e,'pgcode',None), str(e).splitlines()[0])
print('  ', status(d)); run(d, "ROLLBACK")
q(d,"BEGIN"); q(d, "SAVEPOINT a")
try:
    cur.copy_expert("COPY p FROM STDIN", io.StringIO("5\tx\n")); print('  copy ok')
except Exception as e: print('  copy err', getattr(e,'pgcode',None), str(e).splitlines()[0])
run(d, "ROLLBACK TO a", "INSERT INTO t VALUES (300,'aftercopy')", "COMMIT", "SELECT * FROM t")
