#!/usr/bin/python3
"""Finding 2 (low, functional): VERIFY AUDIT LOG, listed (sql-reference §1.9, §10.3) as a vault
statement that runs alone and inside a multi-statement string, answers 0A000 "is not a statement
of the vault" in both. Exit 1 when broken, 0 when it runs."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbv import Server, run
s = Server(); s.start()
try:
    bad = False
    for user in ('auditor', 'secadmin'):
        c = s.connect(user)
        for q in ("VERIFY AUDIT LOG", "SELECT 1; VERIFY AUDIT LOG"):
            r = run(c, q); print(user, repr(q), r)
            bad |= (r[0] == 'err' and r[1] == '0A000')
    sys.exit(1 if bad else 0)
finally:
    s.cleanup()
