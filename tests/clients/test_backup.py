#!/usr/bin/python3
"""Encrypted online backup and restore over the wire (docs/encryption.md §10, docs/vault.md
"Backup and restore").

Marker strings go into a realm's table, a tablespace's table, the policy store (a realm and a
user named after a marker) and so the audit store. Neither the DBA nor the security
administrator alone may back up (42501, audited as sod_violation); once the DBA granted
BACKUP_OPERATOR to secadmin, secadmin's BACKUP DATABASE runs while two sessions keep writing.
The backup file holds no marker in plain, UTF-16 or hex form; a wrong password, a wrong key and
a flipped byte are refused and leave no directory; `dbvault restore` restores it into a new
directory, whose audit chain verifies, and served, that directory shows every row committed
before the backup started (and no row that was not committed), the realms and the users."""

import os
import secrets
import subprocess
import threading
import time
from pathlib import Path

import psycopg2

import client_case
from harness.dbvault_server import DbvaultServer
from harness.server import Server
from test_tde_server import scan

REALM_PASSWORD = "bk-realm-pw-" + secrets.token_hex(6)
MARK = secrets.token_hex(6)
MARKERS = {
    "realm_row": f"BKREALMROW{MARK}",
    "tablespace_row": f"BKSPACEROW{MARK}",
    "realm_name": f"bkrealm{MARK}",
    "user_name": f"bkuser{MARK}",
}
MEK_ID = "dbvault-file-mek-1"  # the key `dbvault init` makes with the file provider


class RestoredServer(DbvaultServer):
    """`dbvault serve` on a restored data directory (no init), same accounts."""

    def __init__(self, workdir: Path, data_dir: Path, passwords: dict[str, str]):
        Server.__init__(self, workdir, dict(passwords))
        self.binary = Path(os.environ.get("DBVAULT_BIN", "dbvault"))
        self.data_dir = data_dir
        self.clock_path = workdir / "clock"
        self._process = None
        self._status = None
        self.supports_clock = False
        self._serve([], "info")


class Backup(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLESPACE bkspace ENCRYPTION USING 'AES256'", user="secadmin")
        cls.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, writer INTEGER, note TEXT)",
                    "CREATE TABLE vault_rows (id INTEGER PRIMARY KEY, writer INTEGER, "
                    "note TEXT) TABLESPACE bkspace",
                    f"CREATE USER {MARKERS['user_name']} PASSWORD 'u-{secrets.token_hex(8)}'",
                    "CREATE ROLE backup_operator")
        cls.execute(f"CREATE REALM {MARKERS['realm_name']} REQUIRE VAULT PASSWORD "
                    f"'{REALM_PASSWORD}'",
                    f"ALTER REALM {MARKERS['realm_name']} ADD TABLE ledger", user="secadmin")

    def setUp(self) -> None:
        self.require_dbvault()

    def refused(self, sql: str, code: str, user: str) -> str:
        with self.connect(user).cursor() as cursor:
            with self.assertRaises(psycopg2.Error, msg=sql) as raised:
                cursor.execute(sql)
        self.assertEqual(raised.exception.pgcode, code, f"{sql}: {raised.exception}")
        return str(raised.exception)

    def backup_sql(self, path: Path, key: str = MEK_ID) -> str:
        return f"BACKUP DATABASE TO '{path}' ENCRYPTED WITH KEY '{key}'"

    def writer(self, n: int, stop: threading.Event, committed: list[int]) -> None:
        """Inserts rows into the realm table and the tablespace, one commit each."""
        connection = psycopg2.connect(**self.server.conninfo("dba"))
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"UNLOCK REALM {MARKERS['realm_name']} PASSWORD '{REALM_PASSWORD}'")
                i = 0
                while not stop.is_set() or i < 20:
                    row = n * 1_000_000 + i
                    table, marker = (("ledger", MARKERS["realm_row"]) if n == 1 else
                                     ("bkspace.vault_rows", MARKERS["tablespace_row"]))
                    cursor.execute(f"INSERT INTO {table} VALUES (%s, %s, %s)",
                                   (row, n, f"{marker}-{i}"))
                    committed.append(row)
                    i += 1
        finally:
            connection.close()

    def restore_cli(self, backup: Path, target: Path, password: str,
                    key_file: Path | None = None) -> subprocess.CompletedProcess:
        key_file = key_file or self.server.data_dir / "keys" / "master.key"
        env = dict(os.environ, DBVAULT_RESTORE_PASSWORD=password)
        return subprocess.run([os.environ["DBVAULT_BIN"], "restore", "--from", str(backup),
                               "--data-dir", str(target), "--key-file", str(key_file)],
                              env=env, capture_output=True, text=True, timeout=120)

    def test_1_neither_side_alone_may_back_up(self) -> None:
        target = self.server.workdir / "alone.enc"
        self.refused(self.backup_sql(target), "42501", "dba")
        message = self.refused(self.backup_sql(target), "42501", "secadmin")
        self.assertIn("BACKUP_OPERATOR", message)
        # The vault side cannot hand itself the right; the account side grants it.
        self.refused("GRANT backup_operator TO secadmin", "42501", "secadmin")
        self.refused("GRANT backup_operator TO dba", "42501", "dba")
        self.execute("GRANT backup_operator TO secadmin", user="dba")
        self.refused(self.backup_sql(target), "42501", "dba")  # still not the DBA
        self.assertFalse(target.exists())
        rows = self.execute("SELECT \"user\", json_extract(detail, '$.command') FROM "
                            "vault.audit_log WHERE event_type = 'sod_violation' AND "
                            "json_extract(detail, '$.command') = 'BACKUP DATABASE'",
                            user="auditor")
        self.assertIn("dba", [r[0] for r in rows])
        self.assertIn("secadmin", [r[0] for r in rows])

    def test_2_backup_while_writing_and_restore(self) -> None:
        backups = self.server.workdir / "backups"
        backups.mkdir()
        target = backups / "full.enc"
        stop = threading.Event()
        committed = {1: [], 2: []}
        writers = [threading.Thread(target=self.writer, args=(n, stop, committed[n]))
                   for n in (1, 2)]
        for w in writers:
            w.start()
        while min(len(c) for c in committed.values()) < 20:
            time.sleep(0.01)
        before = {n: list(c) for n, c in committed.items()}
        rows = self.execute(self.backup_sql(target), user="secadmin")
        stop.set()
        for w in writers:
            w.join()
        path, backup_id, files, _, password = rows[0]
        self.assertEqual(Path(path), target)
        self.assertGreater(int(files), 5)
        self.assertEqual(scan(backups, list(MARKERS.values())), [], "markers in the backup file")
        self.assertNotIn(password.encode(), target.read_bytes())

        # Refusals: an existing file, a relative path, the data directory, another key.
        self.refused(self.backup_sql(target), "42710", "secadmin")
        self.refused(self.backup_sql(Path("relative.enc")), "22023", "secadmin")
        self.refused(self.backup_sql(self.server.data_dir / "in.enc"), "22023", "secadmin")
        self.refused(self.backup_sql(backups / "k.enc", "another-key"), "22023", "secadmin")
        audit = self.execute("SELECT json_extract(detail, '$.phase') FROM vault.audit_log WHERE "
                             "event_type = 'data_export' AND json_extract(detail, '$.backup_id')"
                             f" = '{backup_id}'", user="auditor")
        self.assertEqual([r[0] for r in audit], ["completed"])

        # Restores that must fail leave nothing behind.
        wrong = self.restore_cli(target, backups / "r-wrong", "not-the-password")
        self.assertEqual(wrong.returncode, 3, wrong.stderr)
        self.assertIn("28P01", wrong.stderr)
        other_key = self.server.workdir / "other.key"  # the same id, another key
        other_key.write_text(f"dbvault-master-key v1\nid {MEK_ID}\nkey {secrets.token_hex(32)}\n")
        other_key.chmod(0o600)
        wrong_key = self.restore_cli(target, backups / "r-key", password, key_file=other_key)
        self.assertEqual(wrong_key.returncode, 3, wrong_key.stderr)
        self.assertIn("58000", wrong_key.stderr)
        flipped = backups / "flipped.enc"
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x10
        flipped.write_bytes(data)
        bad = self.restore_cli(flipped, backups / "r-flipped", password)
        self.assertEqual(bad.returncode, 3, bad.stderr)
        self.assertIn("XX001", bad.stderr)
        self.assertEqual(sorted(p.name for p in backups.iterdir()), ["flipped.enc", "full.enc"])

        restored = backups / "restored"
        done = self.restore_cli(target, restored, password)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("audit chain verified", done.stdout)
        verify = subprocess.run([os.environ["DBVAULT_BIN"], "audit", "verify", "--data-dir",
                                 str(restored), "--key-provider", "file"],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.check_restored(restored, before, committed)
        type(self).backup = (target, password)

    def test_3_restore_database_over_sql(self) -> None:
        target, password = type(self).backup
        self.refused(f"RESTORE DATABASE FROM '{target}' DECRYPT WITH KEY '{MEK_ID}' "
                     "VAULT PASSWORD 'wrong-password'", "28P01", "secadmin")
        self.refused(f"RESTORE DATABASE FROM '{target}' DECRYPT WITH KEY 'other-key' "
                     f"VAULT PASSWORD '{password}'", "58000", "secadmin")
        self.refused(f"RESTORE DATABASE FROM '{target}' DECRYPT WITH KEY '{MEK_ID}' "
                     f"VAULT PASSWORD '{password}'", "42501", "dba")
        self.assertFalse(Path(f"{target}.restored").exists())
        rows = self.execute(f"RESTORE DATABASE FROM '{target}' DECRYPT WITH KEY '{MEK_ID}' "
                            f"VAULT PASSWORD '{password}'", user="secadmin")
        self.assertEqual(rows[0][0], f"{target}.restored")
        self.assertTrue((Path(rows[0][0]) / "data" / "main.db").exists())
        self.assertGreater(int(rows[0][4]), 0)

    def check_restored(self, restored: Path, before: dict, committed: dict) -> None:
        run_dir = restored.parent / "run"
        run_dir.mkdir()
        server = RestoredServer(run_dir, restored, self.server.passwords)
        try:
            def query(sql: str, user: str = "dba") -> list[tuple]:
                connection = psycopg2.connect(**server.conninfo(user))
                connection.autocommit = True
                try:
                    with connection.cursor() as cursor:
                        if user == "dba":
                            cursor.execute(f"UNLOCK REALM {MARKERS['realm_name']} PASSWORD "
                                           f"'{REALM_PASSWORD}'")
                        cursor.execute(sql)
                        return cursor.fetchall()
                finally:
                    connection.close()

            for n, table in ((1, "ledger"), (2, "bkspace.vault_rows")):
                ids = [r[0] for r in query(f"SELECT id FROM {table} WHERE writer = {n} "
                                           "ORDER BY id")]
                self.assertTrue(set(before[n]) <= set(ids), f"{table}: committed rows missing")
                self.assertTrue(set(ids) <= set(committed[n]), f"{table}: rows never committed")
                # Each writer commits in order: a consistent copy holds a prefix of its rows.
                self.assertEqual(ids, committed[n][:len(ids)])
            realms = query("SELECT realm FROM vault.realms", user="secadmin")
            self.assertIn(MARKERS["realm_name"], [r[0] for r in realms])
            exports = query("SELECT json_extract(detail, '$.operation') FROM vault.audit_log "
                            "WHERE event_type = 'data_export'", user="auditor")
            self.assertIn("restore", [r[0] for r in exports])
        finally:
            self.assertEqual(server.stop(), 0, server.log_path.read_text()[-2000:])


    def test_4_offline_backup_of_a_stopped_server(self) -> None:
        # Runs last: it stops the server.
        (self.server.workdir / "offline").mkdir()
        target = self.server.workdir / "offline" / "offline.enc"
        command = [os.environ["DBVAULT_BIN"], "backup", "--data-dir", str(self.server.data_dir),
                   "--to", str(target)]
        env = {k: v for k, v in os.environ.items() if k != "DBVAULT_RESTORE_PASSWORD"}
        running = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(running.returncode, 3, running.stdout + running.stderr)
        self.assertIn("55000", running.stderr)
        self.assertIn("BACKUP DATABASE", running.stderr)
        self.assertFalse(target.exists())
        self.assertEqual(self.server.stop(), 0)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        password = done.stdout.split("restore password (shown once; RESTORE needs it): ")[1]
        password = password.strip()
        self.assertEqual(scan(target.parent, list(MARKERS.values())), [])
        restored = self.restore_cli(target, self.server.workdir / "offline-restored", password)
        self.assertEqual(restored.returncode, 0, restored.stdout + restored.stderr)


if __name__ == "__main__":
    client_case.main()
