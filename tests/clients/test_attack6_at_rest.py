"""attack6: the policy store at rest (docs/encryption.md §8.1, docs/audit.md §10).

Guards (the vault held when these were tried):
- policy.db rolled back alone to an older copy (with its -tde/-tdv side files, so every page
  still authenticates) that still holds a realm authorization revoked since: `dbvault serve`
  refuses to start (exit 3, 58000 "audit anchors disagree"), it does not serve the old policy.
- policy.db with a flipped byte in page 1: the server refuses to start.
- policy.db truncated to its first page: the server refuses to start.
- after each refusal the intact files, put back, serve again: the revoked authorization stays
  revoked.
"""

import os
import shutil
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg2  # noqa: E402

from harness import ServerUnavailable, running_server, skip_or_fail  # noqa: E402

POLICY_FILES = ("policy.db", "policy.db-tde", "policy.db-tdv", "policy.db-wal", "policy.db-shm")


def run(server, user, sql):
    # Not `with psycopg2.connect(...)`: since psycopg2 2.9 that block sends BEGIN even in
    # autocommit mode, and vault statements are refused in a block (docs/sql-reference.md §1.9).
    conn = psycopg2.connect(**server.conninfo(user))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def copy_policy(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in POLICY_FILES:
        if (src / name).exists():
            shutil.copy2(src / name, dst / name)


def put_policy(src: Path, data_dir: Path) -> None:
    for name in POLICY_FILES:
        (data_dir / name).unlink(missing_ok=True)
        if (src / name).exists():
            shutil.copy2(src / name, data_dir / name)


def serve_once(server) -> tuple[int | None, str]:
    """Runs `dbvault serve` on the stopped server's data directory: (exit status, output) if it
    exits within 60 s, (None, output) if it started serving (then it is stopped)."""
    port_file = server.workdir / "port-once"
    port_file.unlink(missing_ok=True)
    log = server.workdir / "serve-once.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(server.binary), "serve", "--data-dir", str(server.data_dir),
                                 "--listen", "127.0.0.1:0", "--port-file", str(port_file)],
                                env=server._env(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not port_file.exists():
        time.sleep(0.05)
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)
        return None, log.read_text(errors="replace")
    return proc.returncode, log.read_text(errors="replace")


def serve_refuses(server) -> str:
    """`dbvault serve` must exit 3 (refuse) on the altered store; returns its output."""
    status, out = serve_once(server)
    assert status == 3, f"serve: status {status} (None: it served)\n{out}"
    return out


def restart(server) -> None:
    """`dbvault serve` again on the stopped server's data directory (a new port file)."""
    (server.workdir / "port").unlink(missing_ok=True)
    server._status = None
    server._serve([], "debug")


class PolicyStoreAtRest(unittest.TestCase):
    def test_rollback_tamper_truncate_are_refused(self):
        try:
            cm = running_server("attack6-at-rest", kind="dbvault", test_clock=False)
            server = cm.__enter__()
        except ServerUnavailable as e:
            skip_or_fail(e)
        try:
            run(server, "dba", "CREATE TABLE pii6 (id INTEGER PRIMARY KEY, v TEXT)")
            run(server, "dba", "INSERT INTO pii6 VALUES (1, 'attack6-realm-row')")
            run(server, "secadmin", "CREATE REALM r6")
            run(server, "secadmin", "ALTER REALM r6 ADD TABLE pii6")
            run(server, "secadmin", "ALTER REALM r6 AUTHORIZE USER dba")
            self.assertEqual(run(server, "dba", "SELECT v FROM pii6"), [("attack6-realm-row",)])
            self.assertEqual(server.stop(), 0)
            old = server.workdir / "policy-old"
            copy_policy(server.data_dir, old)

            restart(server)
            run(server, "secadmin", "ALTER REALM r6 UNAUTHORIZE USER dba")
            with self.assertRaises(psycopg2.Error) as denied:
                run(server, "dba", "SELECT v FROM pii6")
            self.assertEqual(denied.exception.pgcode, "42501")
            self.assertEqual(server.stop(), 0)
            good = server.workdir / "policy-good"
            copy_policy(server.data_dir, good)

            # 1. the older copy, consistent in itself: refused, not served.
            put_policy(old, server.data_dir)
            out = serve_refuses(server)
            self.assertIn("58000", out)
            self.assertIn("rolled back", out)

            # 2. a flipped byte in page 1 (the schema, read at every open) of the current copy.
            # (A flip in a page the start does not read is found when it is read: XX001.)
            put_policy(good, server.data_dir)
            path = server.data_dir / "policy.db"
            data = bytearray(path.read_bytes())
            data[200] ^= 0x01
            path.write_bytes(bytes(data))
            serve_refuses(server)

            # 3. truncated to its first page.
            put_policy(good, server.data_dir)
            with open(path, "r+b") as f:
                f.truncate(4096)
            serve_refuses(server)

            # The intact store serves again, with the authorization still revoked.
            put_policy(good, server.data_dir)
            restart(server)
            with self.assertRaises(psycopg2.Error) as denied:
                run(server, "dba", "SELECT v FROM pii6")
            self.assertEqual(denied.exception.pgcode, "42501")
        finally:
            cm.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
