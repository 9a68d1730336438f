import sys
sys.path.insert(0,'/work/attack3/repro')
from common import *
d = conn('dba'); d2 = conn('dba')
def run(c, *sqls):
    for s in sqls:
        print('  ', s, '->', q(c, s), status(c))
print('R1 refused write after read keeps snapshot')
run(d, "BEGIN", "SAVEPOINT s", "SELECT count(*) FROM t")
print('  other', q(d2, "INSERT INTO t VALUES (400,'o')"))
run(d, "DELETE FROM p", "ROLLBACK TO s", "SELECT count(*) FROM t", "ROLLBACK")
print('S1 SET LOCAL across refusal')
run(d, "BEGIN", "SET LOCAL statement_timeout = 1234", "SAVEPOINT s", "DELETE FROM p", "ROLLBACK TO s", "SHOW statement_timeout", "ROLLBACK", "SHOW statement_timeout")
