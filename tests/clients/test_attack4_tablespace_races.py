"""Attack 4, over the wire: a session that held a tablespace's key loses it mid-flight.

A realm table ts.sec1 in tablespace ts (with an open table ts.pub). The authorized user reads
it, then, inside a transaction block where nothing is detached, locks the realm (or lets its
token expire) while a portal on ts.sec1 is suspended and a prepared statement waits: no more
rows, no new execution, no statement on ts at all until the block ends. The vault held before
these tests were written; they guard it.
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attack4_common import outcome, run, setup  # noqa: E402
from harness import extended as x  # noqa: E402
from harness.wire import WireClient  # noqa: E402
OWNER_PASSWORD = "Owner_login_4242"
VAULT_PASSWORD = "realm_r_vault_pw"
ROWS = 50


class TablespaceRaces(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        setup(cls.server, ("secadmin", ["CREATE TABLESPACE ts ENCRYPTION USING 'AES256'"]),
              ("dba", ["CREATE TABLE pub (a INT) TABLESPACE ts",
               "CREATE TABLE sec1 (id INT, ssn TEXT) TABLESPACE ts", "INSERT INTO pub VALUES (1)",
               "INSERT INTO sec1 SELECT value, printf('ssn-%04d', value) FROM "
               f"json_each('[{','.join(str(i) for i in range(ROWS))}]')",
               f"CREATE USER owner PASSWORD '{OWNER_PASSWORD}'", "GRANT ALL ON ts.sec1 TO owner",
               "GRANT ALL ON ts.pub TO owner"]),
              ("secadmin", ["CREATE REALM r REQUIRE VAULT PASSWORD", "ALTER REALM r ADD TABLE ts.sec1",
               f"ALTER REALM r SET VAULT PASSWORD '{VAULT_PASSWORD}'",
               "ALTER REALM r AUTHORIZE USER owner"]))

    def setUp(self):
        self.w = WireClient(self.server.host, self.server.port)
        self.w.login("owner", OWNER_PASSWORD)
        self.assertEqual(self.simple(f"UNLOCK REALM r PASSWORD '{VAULT_PASSWORD}'")[0], "rows")

    def tearDown(self):
        self.w.terminate()
        self.w.close()

    def simple(self, sql):
        return outcome(self.w.query(sql))

    def extended(self, *messages, sync=True):
        self.w.send(b"".join(messages) + (x.sync() if sync else x.flush()))
        return outcome(self.w.read_until("Z" if sync else "s", raise_errors=False))

    def assert_refused(self, got, text=None):
        self.assertEqual(got[:2], ("error", "42501"), got)
        if text:
            self.assertIn(text, got[2])

    def open_portal_then(self, lock_sql):
        """BEGIN, a portal on ts.sec1 suspended after one row, a prepared statement, then
        `lock_sql` (None: nothing) inside the block."""
        self.assertEqual(self.simple("BEGIN")[0], "rows")
        got = self.extended(x.parse("s", "SELECT id, ssn FROM sec1 ORDER BY id"),
                            x.bind("p", "s"), x.execute("p", 1), sync=False)
        self.assertEqual(got, ("rows", [["0", "ssn-0000"]]))
        self.w.send(x.sync())
        self.w.read_until("Z")
        self.assertEqual(self.extended(x.parse("q", "SELECT count(*) FROM ts.pub")), ("rows", []))
        if lock_sql:
            self.assertEqual(self.simple(lock_sql)[0], "rows")

    def test_lock_realm_in_the_block_stops_the_portal(self):
        self.open_portal_then("LOCK REALM r")
        self.assert_refused(self.extended(x.execute("p", 1)))
        self.simple("ROLLBACK")
        self.assert_refused(self.extended(x.bind("", "s"), x.execute("")), "realm r")

    def test_the_block_end_closes_its_portals(self):
        # Before the fix the portal outlived ROLLBACK (and COMMIT): its open statement kept
        # ts attached under the locked key, so ts.pub stayed refused until it was closed.
        self.open_portal_then(None)
        self.assertEqual(self.simple("COMMIT")[0], "rows")
        got = self.extended(x.execute("p", 1))
        self.assertEqual(got[:2], ("error", "34000"), got)

    def test_lock_realm_in_the_block_stops_the_tablespace(self):
        # Only the key was withdrawn for ts.pub (an open table): the key layer's refusal,
        # inside the block where the file stays attached.
        self.open_portal_then("LOCK REALM r")
        self.assert_refused(self.extended(x.bind("", "q"), x.execute("")), 'tablespace "ts"')
        self.simple("ROLLBACK")
        # After the block: the realm table is refused by the realm, and the open table stays
        # refused by the key layer (ts's key opens sec1's pages too: only a session admitted
        # to r holds it).
        self.assert_refused(self.simple("SELECT count(*) FROM ts.pub"), 'tablespace "ts"')
        self.assert_refused(self.simple("SELECT count(*) FROM sec1"), "realm r")

    def test_token_expiry_in_the_block_stops_the_portal(self):
        self.open_portal_then(None)
        self.server.advance_clock(24 * 3600)
        try:
            self.assert_refused(self.extended(x.execute("p", 1)))
            self.simple("ROLLBACK")
            self.assert_refused(self.simple("SELECT ssn FROM sec1 WHERE id = 7"), "realm r")
        finally:
            self.server.set_clock_offset(0)

    def test_lock_all_realms_between_parse_and_execute(self):
        self.assertEqual(self.extended(x.parse("t", "SELECT ssn FROM sec1 WHERE id = 3")),
                         ("rows", []))
        self.assertEqual(self.simple("LOCK ALL REALMS")[0], "rows")
        self.assert_refused(self.extended(x.bind("", "t"), x.execute("")), "realm r")
        self.assert_refused(self.simple("SELECT ssn FROM ts.sec1 WHERE id = 3"), "realm r")

    def test_lock_between_parse_and_execute_of_a_deferred_write(self):
        # Parsed first in a fresh block, the writes' checks wait for their first Execute;
        # LOCK REALM comes in between: the realm's refusal, and the key layer's for ts.pub.
        self.assertEqual(self.simple("BEGIN")[0], "rows")
        self.assertEqual(self.extended(x.parse("w", "UPDATE sec1 SET ssn = 'x' WHERE id = 1"),
                                       x.parse("v", "INSERT INTO pub VALUES (2)")), ("rows", []))
        self.assertEqual(self.simple("LOCK REALM r")[0], "rows")
        self.assert_refused(self.extended(x.bind("", "v"), x.execute("")), 'tablespace "ts"')
        self.simple("ROLLBACK")
        self.simple("BEGIN")
        self.assert_refused(self.extended(x.bind("", "w"), x.execute("")), "realm r")
        self.simple("ROLLBACK")
        self.assert_refused(self.simple("SELECT count(*) FROM pub"), 'tablespace "ts"')
        self.assertEqual(self.simple("UNLOCK REALM r PASSWORD 'realm_r_vault_pw'")[0], "rows")
        self.assertEqual(self.simple("SELECT count(*) FROM pub"), ("rows", [["1"]]))

    def test_rollback_to_savepoint_does_not_undo_a_lock(self):
        # Vault statements are not part of the engine's transaction: the lock stays.
        self.assertEqual(self.simple("BEGIN")[0], "rows")
        self.assertEqual(self.simple("SAVEPOINT a")[0], "rows")
        self.assertEqual(self.simple("LOCK REALM r")[0], "rows")
        self.assertEqual(self.simple("ROLLBACK TO SAVEPOINT a")[0], "rows")
        self.assert_refused(self.simple("SELECT ssn FROM sec1 WHERE id = 1"))
        self.simple("ROLLBACK")
        self.assert_refused(self.simple("SELECT ssn FROM sec1 WHERE id = 1"), "realm r")

    def test_vacuum_into_by_the_authorized_user_is_contained(self):
        got = self.simple(f"VACUUM ts INTO '{self.server.workdir}/copy.db'")
        self.assert_refused(got, "VACUUM INTO would copy ts.sec1")
        self.assertFalse((self.server.workdir / "copy.db").exists())


if __name__ == "__main__":
    run("attack4-ts", TablespaceRaces)
