import sys, threading, time
sys.path.insert(0,'/work/attack3/repro')
from common import *
d = conn('dba')
def run(c, *sqls):
    for s in sqls:
        print('  ', s, '->', q(c, s), status(c))
q(d, "DELETE FROM t")
print('S2 basic savepoint + refused + rollback to')
run(d, "BEGIN", "SAVEPOINT a", "DELETE FROM p", "ROLLBACK TO a", "INSERT INTO t VALUES (1,'s2')", "COMMIT", "SELECT * FROM t")
print('S4 weird names')
run(d, 'BEGIN', 'SAVEPOINT "x""y; DROP TABLE t; --"', 'SAVEPOINT "É"', 'INSERT INTO t VALUES (2,\'in\')' , 'SAVEPOINT b', 'ROLLBACK TO "x""y; DROP TABLE t; --"', 'DELETE FROM p', 'ROLLBACK TO "x""y; DROP TABLE t; --"', 'SELECT * FROM t', 'ROLLBACK')
print('S4b weird names empty txn')
run(d, 'BEGIN', 'SAVEPOINT "x""y; DROP TABLE t; --"', 'SAVEPOINT "É"', 'SAVEPOINT B', 'DELETE FROM p', 'ROLLBACK TO "É"', 'RELEASE "x""y; DROP TABLE t; --"','INSERT INTO t VALUES (3,\'s4b\')','COMMIT','SELECT * FROM t')
print('S3 case variants')
run(d, 'BEGIN', 'SAVEPOINT a', 'SAVEPOINT "A"', 'RELEASE a', 'DELETE FROM p', 'ROLLBACK TO a', 'RELEASE a', 'SELECT 1', 'ROLLBACK')
print('S7 temp table')
run(d, 'BEGIN', 'CREATE TEMP TABLE tt(x)', 'INSERT INTO tt VALUES (1)', 'SAVEPOINT a', 'DELETE FROM p', 'ROLLBACK TO a', 'SELECT * FROM tt', 'ROLLBACK')
print('S10 implicit multi')
run(d, "SELECT 1; DELETE FROM p; INSERT INTO t VALUES (10,'x')", "SELECT * FROM t")
run(d, "BEGIN; SAVEPOINT a; DELETE FROM p; INSERT INTO t VALUES (11,'x')", "ROLLBACK TO a; INSERT INTO t VALUES (12,'after')", "COMMIT", "SELECT * FROM t")
