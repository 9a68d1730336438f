#!/usr/bin/python3
"""No plaintext in a server's data directory (docs/encryption.md §13, "What stays readable").

Distinct markers name a realm, a tablespace, a command rule, a user, a table and its masked
column, and fill the table's rows (in the tablespace and in the engine's default database).
Every byte of every file under the data directory (recursively: policy.db and its WAL, the key
store, the engine database, the tablespace file, the audit store) is scanned for each marker in
plain, UTF-16 (LE and BE) and hex (lower and upper) form, while the server runs and after
SIGTERM stopped it, and so is a backup file: none may be found, nor in any file's name (a
tablespace's file is data/ts_<file id>.db)."""

import secrets

import client_case
from test_tde_server import scan

MARK = secrets.token_hex(5)
MARKERS = {
    "realm": f"nprealm{MARK}",
    "tablespace": f"npspace{MARK}",
    "rule": f"nprule{MARK}",
    "user": f"npuser{MARK}",
    "table": f"nptable{MARK}",
    "column": f"npcolumn{MARK}",
    "row": f"NPROW{MARK}",
    "space_row": f"NPSPACEROW{MARK}",
}
MEK_ID = "dbvault-file-mek-1"  # the key `dbvault init` makes with the file provider


class NoPlaintext(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        m = MARKERS
        cls.execute(f"CREATE TABLESPACE {m['tablespace']} ENCRYPTION USING 'AES256'",
                    user="secadmin")
        cls.execute(f"CREATE TABLE {m['table']} (id INTEGER PRIMARY KEY, {m['column']} TEXT)",
                    f"CREATE TABLE spaced (id INTEGER PRIMARY KEY, note TEXT) "
                    f"TABLESPACE {m['tablespace']}",
                    f"CREATE USER {m['user']} PASSWORD 'p-{secrets.token_hex(8)}'",
                    "CREATE ROLE backup_operator",
                    "GRANT backup_operator TO secadmin")
        for i in range(20):
            cls.execute(f"INSERT INTO {m['table']} VALUES ({i}, '{m['row']}-{i}')",
                        f"INSERT INTO {m['tablespace']}.spaced VALUES ({i}, "
                        f"'{m['space_row']}-{i}')")
        cls.execute(f"CREATE REALM {m['realm']}",
                    f"ALTER REALM {m['realm']} ADD TABLE {m['table']}",
                    f"CREATE COMMAND RULE {m['rule']} FOR DELETE ON TABLE {m['table']} "
                    f"DENY FROM ROLE dba MESSAGE '{m['rule']} says no'",
                    f"ALTER TABLE {m['table']} ALTER COLUMN {m['column']} SET MASKING PARTIAL",
                    user="secadmin")

    def setUp(self) -> None:
        self.require_dbvault()

    def found(self) -> list[str]:
        return scan(self.server.data_dir, list(MARKERS.values()))

    def named(self) -> list[str]:
        """Paths under the data directory whose name carries a marker."""
        return sorted(str(p.relative_to(self.server.data_dir))
                      for p in self.server.data_dir.rglob("*")
                      if any(m in p.name for m in MARKERS.values()))

    def test_1_the_policy_is_in_place(self) -> None:
        for view, marker in (("vault.realms", "realm"), ("vault.tablespaces", "tablespace")):
            rows = self.execute(f"SELECT * FROM {view}", user="secadmin")
            self.assertIn(MARKERS[marker], [str(v) for r in rows for v in r], view)

    def test_2_a_backup_file_holds_no_marker(self) -> None:
        backups = self.server.workdir / "np_backups"
        backups.mkdir()
        target = backups / "np.enc"
        self.execute(f"BACKUP DATABASE TO '{target}' ENCRYPTED WITH KEY '{MEK_ID}'",
                     user="secadmin")
        self.assertTrue(target.exists())
        self.assertEqual(scan(backups, list(MARKERS.values())), [])

    def test_3_no_marker_while_running_nor_after_sigterm(self) -> None:
        # Runs last (unittest orders by name): it stops the server.
        data = self.server.data_dir
        self.assertFalse((data / "policy.db").read_bytes().startswith(b"SQLite format 3"))
        self.assertEqual(self.found(), [], "while the server runs")
        self.assertEqual(self.named(), [], "no file name shows a marker")
        self.server.stop()
        self.assertEqual(self.found(), [], "after the server stopped")
        self.assertEqual(self.server.stop(), 0)


if __name__ == "__main__":
    client_case.main()
