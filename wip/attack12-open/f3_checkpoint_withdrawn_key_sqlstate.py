#!/usr/bin/python3
"""Finding 3 (info, doc mismatch): docs/encryption.md §9.4 says a withdrawn key fails the
checkpointer's read/write with 58000 "no usable key"; the server logs it as an integrity error
(XX001), the code kept for damaged/tampered pages. The stop itself works and nothing is lost.
Racy (LOCK REALM must land while the checkpointer runs): up to 4 attempts.
Exit 1 when the log reports the withdrawn key as XX001/integrity error, 0 otherwise."""
import sys, os, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbv import Server, run

def attempt():
    s = Server(); s.start()
    try:
        d = s.connect('dba'); sa = s.connect('secadmin')
        assert run(sa, "CREATE REALM hr DESCRIPTION 'h' REQUIRE VAULT PASSWORD 'hrpw-1' TABLESPACE hr_ts")[0] == 'ok'
        assert run(d, "CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB) TABLESPACE hr_ts")[0] == 'ok'
        assert run(d, "UNLOCK REALM hr PASSWORD 'hrpw-1'")[0] == 'ok'
        run(d, "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<20000) "
               "SELECT x, randomblob(3000) FROM c")
        run(d, "LOCK REALM hr")
        time.sleep(2)
        s.stop()
        log = open(os.path.join(s.tmp, 'server.log')).read()
        lines = [l for l in log.splitlines() if 'checkpoint of tablespace' in l and 'no usable key' in l]
        print('\n'.join(lines) or 'no checkpointer stop logged')
        return any(('(XX001)' in l or 'integrity error' in l) for l in lines)
    finally:
        s.cleanup()

for _ in range(int(os.environ.get("TRIES", "4"))):
    if attempt():
        sys.exit(1)
print('not reproduced in 4 attempts (race), or fixed')
sys.exit(0)
