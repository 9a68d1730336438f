# Finding L2 (low): a refused write in a block whose only write was undone by ROLLBACK TO keeps
# the database write lock; another session's write waits for the busy timeout, then fails 55P03.
# Needs the server from /work/attack3/port and repro/common.py setup() (realm rp on table p).
import sys, time
sys.path.insert(0,'/work/attack3/repro')
from common import *
a = conn('dba'); b = conn('dba')
q(a, "BEGIN"); q(a, "SAVEPOINT s"); q(a, "INSERT INTO t VALUES (9001,'x')"); q(a, "ROLLBACK TO s")
print(q(a, "DELETE FROM p"))            # refused 42501 by realm
t0 = time.time(); r = q(b, "INSERT INTO t VALUES (9002,'other')"); dt = time.time() - t0
print(r, round(dt, 2)); q(a, "ROLLBACK"); q(b, "DELETE FROM t WHERE id IN (9001,9002)")
sys.exit(1 if (r[0] == 'err' or dt > 1.0) else 0)
