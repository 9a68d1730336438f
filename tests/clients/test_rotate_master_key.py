#!/usr/bin/python3
"""ALTER DATABASE ROTATE MASTER KEY on a running server (docs/keys.md, "Master key rotation"):
the env master key is rotated to the key in DBVAULT_NEXT_MASTER_KEY_{HEX,ID} while another
session reads a realm table in a loop (it never fails); only VAULT_ADMIN may rotate (a DBA gets
42501); the rotation is audited. After a restart with only the new key configured everything
is readable; with only the old key the server refuses to start with 58000."""

import os
import secrets
import subprocess
import threading
import time
from pathlib import Path

import client_case
import harness
import psycopg2
from harness.dbvault_server import DbvaultServer

REALM_PASSWORD = "rotate-realm-pw-0c4d"
OLD = (secrets.token_hex(32), "env-mek-1")
NEW = (secrets.token_hex(32), "env-mek-2")


def set_master_key(key: tuple[str, str] | None, variable: str = "MASTER_KEY") -> None:
    for suffix, value in (("HEX", key[0] if key else None), ("ID", key[1] if key else None)):
        name = f"DBVAULT_{variable}_{suffix}"
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class RotateMasterKey(client_case.unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        if harness.requested_kind() != "dbvault":
            raise client_case.unittest.SkipTest("dbvault only")
        cls._context = harness.temp_workdir("rotatemek")
        cls.workdir = cls._context.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        set_master_key(None)
        set_master_key(None, "NEXT_MASTER_KEY")
        cls._context.__exit__(None, None, None)

    def start(self, workdir: Path) -> DbvaultServer:
        workdir.mkdir()
        server = DbvaultServer(workdir, init_args=["--kms", "env"], log_level="info",
                               test_clock=False)
        self.addCleanup(server.stop)
        return server

    def restart(self, server: DbvaultServer) -> None:
        self.assertEqual(server.stop(), 0)
        server._status = None  # the harness serves once per object; serve it again
        (server.workdir / "port").unlink()
        server._serve([], "info")

    def refused_start(self, server: DbvaultServer) -> subprocess.CompletedProcess:
        return subprocess.run([str(server.binary), "serve", "--data-dir", str(server.data_dir),
                               "--listen", "127.0.0.1:0"], env=server._env(),
                              capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    def query(self, server, sql: str, user: str = "dba", unlock: bool = False) -> list[tuple]:
        connection = psycopg2.connect(**server.conninfo(user))
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                if unlock:
                    cursor.execute(f"UNLOCK REALM rk_realm PASSWORD '{REALM_PASSWORD}'")
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def reader(self, server, stop: threading.Event, counts: list[int], errors: list[str]):
        try:
            connection = psycopg2.connect(**server.conninfo("dba"))
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f"UNLOCK REALM rk_realm PASSWORD '{REALM_PASSWORD}'")
                while not stop.is_set() or counts[0] < 20:
                    cursor.execute("SELECT count(*), max(v) FROM rk_t")
                    if cursor.fetchall() != [(100, "v99")]:
                        errors.append("wrong rows")
                    counts[0] += 1
            connection.close()
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(repr(e))

    def test_online_rotation_then_restart_with_only_the_new_key(self) -> None:
        set_master_key(OLD)
        set_master_key(NEW, "NEXT_MASTER_KEY")
        server = self.start(self.workdir / "online")
        self.query(server, "CREATE TABLE rk_t (id INTEGER PRIMARY KEY, v TEXT)")
        for i in range(100):
            self.query(server, f"INSERT INTO rk_t VALUES ({i}, 'v{i:02d}')")
        for sql in (f"CREATE REALM rk_realm REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
                    "ALTER REALM rk_realm ADD TABLE rk_t"):
            self.query(server, sql, user="secadmin")

        # Separation of duties: the DBA cannot rotate the master key.
        with self.assertRaises(psycopg2.Error) as denied:
            self.query(server, "ALTER DATABASE ROTATE MASTER KEY TO KEY_ID 'env-mek-2'")
        self.assertEqual(denied.exception.pgcode, "42501")
        self.assertEqual(self.query(
            server, "SELECT \"user\", result FROM vault.audit_log WHERE event_type = "
            "'sod_violation' AND json_extract(detail, '$.command') = "
            "'ALTER DATABASE ROTATE MASTER KEY'", user="auditor"), [("dba", "DENIED")])

        stop, counts, errors = threading.Event(), [0], []
        thread = threading.Thread(target=self.reader, args=(server, stop, counts, errors))
        thread.start()
        try:
            while counts[0] < 5 and thread.is_alive():
                time.sleep(0.01)  # the reader is under way before the rotation starts
            self.query(server, "ALTER DATABASE ROTATE MASTER KEY TO KEY_ID 'env-mek-2'",
                       user="secadmin")
            before = counts[0]
            while counts[0] < before + 20 and thread.is_alive():
                time.sleep(0.01)  # reads go on after the rotation too
        finally:
            stop.set()
            thread.join(60)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(counts[0], 20)
        details = self.query(
            server, "SELECT json_extract(detail, '$.phase'), json_extract(detail, '$.new_key_id'),"
            " \"user\", result FROM vault.audit_log WHERE event_type = 'policy_changed' AND "
            "json_extract(detail, '$.statement') = 'ALTER DATABASE ROTATE MASTER KEY' ORDER BY seq",
            user="auditor")
        self.assertEqual(details, [("requested", None, "secadmin", "SUCCESS"),
                                   ("completed", "env-mek-2", "secadmin", "SUCCESS")])
        # The old key is retired: rotating to it again is refused.
        with self.assertRaises(psycopg2.Error) as again:
            self.query(server, "ALTER DATABASE ROTATE MASTER KEY TO KEY_ID 'env-mek-3'",
                       user="secadmin")
        self.assertEqual(again.exception.pgcode, "22023")  # DBVAULT_NEXT_... names env-mek-2

        # Restart with only the new key: everything reads back.
        set_master_key(NEW)
        set_master_key(None, "NEXT_MASTER_KEY")
        self.restart(server)
        self.assertEqual(self.query(server, "SELECT count(*), max(v) FROM rk_t", unlock=True),
                         [(100, "v99")])
        self.assertEqual(server.stop(), 0)

        # Only the old key: refused, 58000, naming the rotation.
        set_master_key(OLD)
        refused = self.refused_start(server)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("ERROR 58000", refused.stderr)
        self.assertIn("retired by a master key rotation", refused.stderr)
        self.assertNotIn(OLD[0], refused.stderr + refused.stdout)
        self.assertNotIn(NEW[0], refused.stderr + refused.stdout)

    def test_file_to_env_through_kms_next_and_the_provider_allowlist(self) -> None:
        # A data directory of the file provider rotates to env (kms.next = env, the next key in
        # DBVAULT_NEXT_MASTER_KEY_*), by default id; the old key file goes.
        set_master_key(None)
        set_master_key(NEW, "NEXT_MASTER_KEY")
        workdir = self.workdir / "file_to_env"
        workdir.mkdir()
        server = DbvaultServer(workdir, log_level="info", test_clock=False,
                               config={"kms.next": "env"})
        self.addCleanup(server.stop)
        self.query(server, "CREATE TABLE fe_t (v TEXT)")
        self.query(server, "INSERT INTO fe_t VALUES ('kept')")
        old_key_file = server.data_dir / "keys" / "master.key"
        self.assertTrue(old_key_file.exists())
        # TO KEY_ID must name the key DBVAULT_NEXT_MASTER_KEY_ID names: refused, nothing changes,
        # and the failure is on the record.
        with self.assertRaises(psycopg2.Error) as mismatch:
            self.query(server, "ALTER DATABASE ROTATE MASTER KEY TO KEY_ID 'another-id'",
                       user="secadmin")
        self.assertEqual(mismatch.exception.pgcode, "22023")
        self.assertTrue(old_key_file.exists())
        self.query(server, "ALTER DATABASE ROTATE MASTER KEY", user="secadmin")
        self.assertFalse(old_key_file.exists(), "the retired key file is deleted")
        records = self.query(
            server, "SELECT json_extract(detail, '$.phase'), result, json_extract(detail, "
            "'$.new_key_id') FROM vault.audit_log WHERE event_type = 'policy_changed' AND "
            "json_extract(detail, '$.object') = 'master key' ORDER BY seq", user="auditor")
        self.assertEqual(records, [("requested", "SUCCESS", None), ("failed", "FAILURE", None),
                                   ("requested", "SUCCESS", None),
                                   ("completed", "SUCCESS", "env-mek-2")])

        # dbvault.conf without kms.next: the key store's env key is not an allowed provider.
        self.assertEqual(server.stop(), 0)
        config = server.data_dir / "dbvault.conf"
        config.write_text(config.read_text().replace("kms.next = env\n", ""))
        set_master_key(NEW)
        set_master_key(None, "NEXT_MASTER_KEY")
        refused = self.refused_start(server)
        self.assertIn("ERROR 58000", refused.stderr)
        self.assertIn("is held by the env provider", refused.stderr)
        self.assertIn("set kms = env", refused.stderr)

        # kms = env: it starts with the new key and the data reads back.
        config.write_text(config.read_text().replace("kms = file", "kms = env"))
        self.restart(server)
        self.assertEqual(self.query(server, "SELECT v FROM fe_t"), [("kept",)])


if __name__ == "__main__":
    client_case.main()
