#!/usr/bin/python3
"""Encrypted tablespaces over the wire (docs/encryption.md §9).

secadmin creates a tablespace, dba a table in it, secadmin a realm over that table which
authorizes clerk; clerk unlocks it and writes marker rows. Then: snoop, who holds a SELECT
grant but is not authorized, is refused by the vault (42501) under every name of the table and
the audit log shows no key_access release to snoop (but one to clerk); after LOCK REALM clerk
cannot read it on the same connection; after a restart the rows are back; no file of the data
directory holds a marker in plain, UTF-16 or hex form; DROP TABLESPACE refuses while the table
exists, and only VAULT_ADMIN may create or drop a tablespace."""

import secrets

import psycopg2

import client_case
from test_tde_server import scan

REALM_PASSWORD = "ts-realm-pw-" + secrets.token_hex(6)
CLERK_PASSWORD = "clerk-pw-" + secrets.token_hex(6)
SNOOP_PASSWORD = "snoop-pw-" + secrets.token_hex(6)
MARKERS = [f"TSMARK{secrets.token_hex(8)}" for _ in range(3)]


class Tablespaces(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLESPACE vaultspace ENCRYPTION USING 'AES256'", user="secadmin")
        cls.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY, note TEXT) TABLESPACE vaultspace",
                    f"CREATE USER clerk PASSWORD '{CLERK_PASSWORD}'",
                    f"CREATE USER snoop PASSWORD '{SNOOP_PASSWORD}'",
                    "GRANT SELECT, INSERT ON vaultspace.cards TO clerk",
                    "GRANT SELECT ON vaultspace.cards TO snoop")
        cls.execute(f"CREATE REALM cardr REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
                    "ALTER REALM cardr ADD TABLE vaultspace.cards",
                    "ALTER REALM cardr AUTHORIZE USER clerk", user="secadmin")

    def setUp(self) -> None:
        self.require_dbvault()

    def clerk(self):
        connection = self.connect("clerk", CLERK_PASSWORD)
        with connection.cursor() as cursor:
            cursor.execute(f"UNLOCK REALM cardr PASSWORD '{REALM_PASSWORD}'")
        return connection

    def refused(self, connection, sql: str, code: str = "42501") -> str:
        with connection.cursor() as cursor:
            with self.assertRaises(psycopg2.Error, msg=sql) as raised:
                cursor.execute(sql)
        self.assertEqual(raised.exception.pgcode, code, f"{sql}: {raised.exception}")
        return str(raised.exception)

    def notes(self, connection) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT note FROM vaultspace.cards ORDER BY id")
            return [r[0] for r in cursor.fetchall()]

    def key_releases(self) -> list[tuple]:
        return self.execute("SELECT \"user\", json_extract(detail, '$.key_id') FROM "
                            "vault.audit_log WHERE event_type = 'key_access' AND "
                            "json_extract(detail, '$.key_id') LIKE 'tablespace:vaultspace@%'",
                            user="auditor")

    def restart(self) -> None:
        self.assertEqual(self.server.stop(), 0)
        self.server._status = None
        (self.server.workdir / "port").unlink(missing_ok=True)
        self.server._serve(["--test-clock-file", str(self.server.clock_path)], "debug")

    def test_a_authorized_clerk_writes_and_reads(self) -> None:
        clerk = self.clerk()
        with clerk.cursor() as cursor:
            for i, marker in enumerate(MARKERS):
                cursor.execute("INSERT INTO vaultspace.cards VALUES (%s, %s)", (i, marker))
        self.assertEqual(self.notes(clerk), MARKERS)
        self.assertIn("clerk", [r[0] for r in self.key_releases()])

    def test_b_unauthorized_session_is_refused_and_never_gets_the_key(self) -> None:
        snoop = self.connect("snoop", SNOOP_PASSWORD)
        for sql in ("SELECT * FROM vaultspace.cards", "SELECT note FROM cards",
                    'SELECT count(*) FROM "VAULTSPACE"."CARDS"', "SELECT count(*) FROM cards"):
            self.assertIn("cardr", self.refused(snoop, sql))
        self.refused(snoop, "SELECT * FROM main.cards", "42P01")
        self.refused(snoop, "CREATE TABLE cards (a TEXT)", "42P07")
        self.assertNotIn("snoop", [r[0] for r in self.key_releases()])

    def test_c_lock_realm_stops_reads_on_the_same_connection(self) -> None:
        clerk = self.clerk()
        self.assertEqual(self.notes(clerk), MARKERS)
        with clerk.cursor() as cursor:
            cursor.execute("LOCK REALM cardr")
        self.refused(clerk, "SELECT note FROM vaultspace.cards")

    def test_d_only_vault_admin_creates_or_drops_and_a_full_tablespace_stays(self) -> None:
        dba = self.connect()
        self.refused(dba, "CREATE TABLESPACE other ENCRYPTION USING 'AES256'")
        self.refused(dba, "DROP TABLESPACE vaultspace")
        admin = self.connect("secadmin")
        self.assertIn("not empty", self.refused(admin, "DROP TABLESPACE vaultspace", "55000"))
        with admin.cursor() as cursor:
            cursor.execute("CREATE TABLESPACE scratch ENCRYPTION USING 'CHACHA20-POLY1305'")
            scratch = self.tablespace_file("scratch")
            self.assertTrue(scratch.exists())
            cursor.execute("DROP TABLESPACE scratch")
            cursor.execute("DROP TABLESPACE IF EXISTS scratch")
        self.assertFalse(scratch.exists())
        self.refused(admin, "DROP TABLESPACE scratch", "42704")

    def test_e_rows_survive_a_restart_and_no_file_holds_a_marker(self) -> None:
        data = self.server.data_dir
        self.assertTrue(self.tablespace_file("vaultspace").exists())
        self.assertEqual(scan(data, MARKERS), [], "while the server runs")
        self.restart()
        self.assertEqual(self.notes(self.clerk()), MARKERS)
        self.server.stop()
        self.assertEqual(scan(data, MARKERS), [], "after the server stopped")


if __name__ == "__main__":
    client_case.main()
