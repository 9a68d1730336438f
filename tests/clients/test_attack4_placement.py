#!/usr/bin/python3
"""Attack 4, over the wire: names SQLite reports without a schema, and the deferred check.

SQLite's count(*) shortcut reports its table without a schema; the engine places it where
SQLite's name search finds it (TEMP first). A statement prepared while a TEMP table shadowed
a realm table was checked as the TEMP one; after the TEMP table is dropped, SQLite re-prepares
it on the realm table and the re-prepare reports the name unqualified again. Before the fix
the Execute returned the realm table's row count (finding 3). The deferred first-execution
check of a write parsed first in a BEGIN block is attacked the same way and held.
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attack4_common import outcome, run, setup  # noqa: E402
from harness import extended as x  # noqa: E402
from harness.wire import WireClient  # noqa: E402


class Placement(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        setup(cls.server,
              ("dba", ["CREATE TABLE msec (id INT, ssn TEXT)",
               "INSERT INTO msec VALUES (1, 'a'), (2, 'b'), (3, 'c')", "CREATE TABLE leak (n INT)"]),
              ("secadmin", ["CREATE REALM r REQUIRE VAULT PASSWORD", "ALTER REALM r ADD TABLE msec",
               "ALTER REALM r SET VAULT PASSWORD 'attack4_vault_pw'"]))

    def setUp(self):
        self.w = WireClient(self.server.host, self.server.port)
        self.w.login("dba", self.server.passwords["dba"])

    def tearDown(self):
        self.w.terminate()
        self.w.close()

    def simple(self, sql):
        return outcome(self.w.query(sql))

    def extended(self, *messages):
        self.w.send(b"".join(messages) + x.sync())
        return outcome(self.w.read_until("Z", raise_errors=False))

    def test_dropped_temp_shadow_does_not_count_the_realm_table(self):
        self.assertEqual(self.simple("CREATE TEMP TABLE msec (z INT)")[0], "rows")
        self.assertEqual(self.extended(x.parse("s1", "SELECT count(*) FROM msec")), ("rows", []))
        self.assertEqual(self.simple("DROP TABLE msec")[0], "rows")  # the TEMP one
        got = self.extended(x.bind("", "s1"), x.execute(""))
        self.assertEqual(got[:2], ("error", "42501"), got)
        self.assertIn("schema changed since the statement was prepared", got[2])
        # Prepared again now, it is checked as the realm table: the vault's refusal.
        got = self.extended(x.parse("s2", "SELECT count(*) FROM msec"))
        self.assertEqual(got[:2], ("error", "42501"), got)
        self.assertIn("realm r is locked", got[2])

    def test_dropped_temp_shadow_in_a_write_does_not_copy_the_count(self):
        self.simple("CREATE TEMP TABLE msec (z INT)")
        self.assertEqual(
            self.extended(x.parse("w1", "INSERT INTO leak SELECT count(*) FROM msec")),
            ("rows", []))
        self.simple("DROP TABLE msec")
        got = self.extended(x.bind("", "w1"), x.execute(""))
        self.assertEqual(got[:2], ("error", "42501"), got)
        self.assertEqual(self.simple("SELECT count(*) FROM leak"), ("rows", [["0"]]))

    def test_deferred_write_checked_at_first_execute(self):
        # Parsed first in a fresh block: its check waits for the first Execute; Describe tells
        # only the column names, and the Execute is refused by the realm.
        self.simple("BEGIN")
        got = self.extended(x.parse("d1", "INSERT INTO leak SELECT id FROM msec RETURNING n"),
                            x.describe("S", "d1"))
        self.assertEqual(got, ("rows", []))
        got = self.extended(x.bind("p", "d1"), x.execute("p", 1))
        self.assertEqual(got[:2], ("error", "42501"), got)
        self.simple("ROLLBACK")
        # A savepoint rolled back and a second Execute after the error: refused again.
        self.simple("BEGIN")
        self.simple("SAVEPOINT a")
        got = self.extended(x.parse("d2", "UPDATE msec SET ssn = 'pwned'"))
        self.assertEqual(got, ("rows", []))
        self.assertEqual(self.extended(x.bind("", "d2"), x.execute(""))[:2], ("error", "42501"))
        self.simple("ROLLBACK TO SAVEPOINT a")
        self.assertEqual(self.extended(x.bind("", "d2"), x.execute(""))[:2], ("error", "42501"))
        self.simple("ROLLBACK")
        self.assertEqual(self.simple("SELECT count(*) FROM leak"), ("rows", [["0"]]))

    def test_deferred_write_after_temp_shadow_created_between(self):
        # Parsed in a block, a TEMP table of the name made before the Execute: SQLite
        # re-prepares the statement on the TEMP table, which is what the vault checks then.
        self.simple("BEGIN")
        self.extended(x.parse("t1", "INSERT INTO leak SELECT count(*) FROM msec"))
        self.simple("CREATE TEMP TABLE msec (z INT)")
        self.assertEqual(self.extended(x.bind("", "t1"), x.execute(""))[0], "rows")
        self.simple("COMMIT")
        self.assertEqual(self.simple("SELECT n FROM leak"), ("rows", [["0"]]))
        self.simple("DELETE FROM leak")


if __name__ == "__main__":
    run("attack4", Placement)
