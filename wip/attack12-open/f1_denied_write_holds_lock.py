#!/usr/bin/python3
"""Finding 1: a write the vault REFUSES (RBAC / command rule, never executed) still leaves the
session's transaction holding the engine database's write lock until ROLLBACK.
A user with no write privilege at all can block every other session's writes (55P03 after the
5 s busy timeout) and vault DDL that writes main.db (CREATE REALM ... TABLESPACE -> 58030).
Exit 1 when the hole is there, 0 when the product holds."""
import sys, time, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbv import Server, run, PW
from pq import PQ

s = Server(); s.start()
try:
    d = s.connect('dba'); sa = s.connect('secadmin')
    assert run(d, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")[0] == 'ok'
    assert run(d, "CREATE TABLE o (x INT)")[0] == 'ok'
    assert run(d, "INSERT INTO t VALUES (1,'a')")[0] == 'ok'
    r = run(d, "CREATE USER bob PASSWORD 'Bob-Secret-123'"); print('create user', r)
    bob = PQ(s.port, 'bob', 'Bob-Secret-123')
    print('bob BEGIN', bob.exec("BEGIN"))
    r = bob.exec("DELETE FROM t WHERE id = 1"); print('bob DELETE (no privilege):', r, bob.tx())
    refused = r[0] == 'err' and r[1] == '42501'
    t0 = time.time()
    w = run(d, "INSERT INTO o VALUES (1)")
    print('dba INSERT into another table while bob sits in his failed block:', w, round(time.time() - t0, 1), 's')
    c = run(sa, "CREATE REALM hr DESCRIPTION 'h' TABLESPACE hr_ts")
    print('secadmin CREATE REALM ... TABLESPACE:', c)
    bob.exec("ROLLBACK")
    hole = refused and w[0] == 'err'
    print('HOLE' if hole else 'held')
    sys.exit(1 if hole else 0)
finally:
    s.cleanup()
