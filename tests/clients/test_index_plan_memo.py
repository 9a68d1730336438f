#!/usr/bin/python3
"""The plan check of index reads keeps a prepared statement's plan (storage/index_reads.h,
IndexPlanMemo): a statement prepared once (extended protocol Parse) and executed many times is
checked on the plan SQLite will run, also when that plan changed under it.

A plan that scans an index on a realm column lists the rows in the order of the hidden values
(tests/sql/attack7/index_order.test). The plan kept from an earlier execution must not stand
for the plan SQLite compiles again after another session's CREATE INDEX, after this session's
own, or after this session loaded statistics another session wrote (ANALYZE of any table
reloads them all, and writing them changes no schema cookie).
"""

import client_case
from harness import extended as x
from harness import wire

VAULT_PASSWORD = "pm-vault-password-1"


class IndexPlanMemo(client_case.ServerCase):
    realm_made = False

    def setUp(self) -> None:
        self.require_dbvault()
        if not IndexPlanMemo.realm_made:
            self.execute(f"CREATE REALM rpm REQUIRE VAULT PASSWORD '{VAULT_PASSWORD}'",
                         user="secadmin")
            IndexPlanMemo.realm_made = True

    @staticmethod
    def rows(messages: list) -> list:
        return [wire.data_row(payload)[0] for kind, payload in messages if kind == "D"]

    @staticmethod
    def codes(messages: list) -> list:
        return [wire.parse_error_fields(payload)["C"] for kind, payload in messages if kind == "E"]

    def client(self) -> wire.WireClient:
        client = wire.WireClient("127.0.0.1", self.server.port)
        self.addCleanup(client.close)
        client.login("dba", self.server.passwords["dba"])
        return client

    @staticmethod
    def prepare(client: wire.WireClient, name: str, sql: str) -> None:
        client.send(x.parse(name, sql) + x.sync())
        client.read_until("Z")

    @staticmethod
    def run_prepared(client: wire.WireClient, name: str) -> list:
        client.send(x.bind("", name, ()) + x.execute("", 0) + x.sync())
        return client.read_until("Z", raise_errors=False)

    def make_table(self, name: str) -> None:
        """A table whose index on ssn does not cover `SELECT id, name`: it is scanned in id
        order. An index on (ssn, name) covers it: then the scan is in ssn order (3, 1, 2)."""
        self.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT, "
                     "note TEXT)",
                     f"INSERT INTO {name} VALUES (1, 'a', '555-00-0000', 'x'), "
                     "(2, 'b', '999-00-0000', 'y'), (3, 'c', '111-00-0000', 'z')",
                     f"CREATE INDEX {name}_ssn ON {name} (ssn)")
        self.execute(f"ALTER REALM rpm ADD COLUMN {name}.ssn", user="secadmin")

    def assert_runs_in_id_order(self, client: wire.WireClient, name: str) -> None:
        for _ in range(3):  # the later executions use the kept plan
            self.assertEqual(self.rows(self.run_prepared(client, name)), [b"1", b"2", b"3"])

    def test_another_sessions_index(self) -> None:
        self.make_table("pm_other")
        client = self.client()
        self.prepare(client, "sel", "SELECT id, name FROM pm_other")
        self.assert_runs_in_id_order(client, "sel")
        self.execute(f"UNLOCK REALM rpm PASSWORD '{VAULT_PASSWORD}'",
                     "CREATE INDEX pm_other_ssn_name ON pm_other (ssn, name)")
        answer = self.run_prepared(client, "sel")
        self.assertEqual(self.codes(answer), ["42501"])
        self.assertEqual(self.rows(answer), [])  # not the ssn order 3, 1, 2
        self.execute(f"UNLOCK REALM rpm PASSWORD '{VAULT_PASSWORD}'",
                     "DROP INDEX pm_other_ssn_name")
        self.assert_runs_in_id_order(client, "sel")

    def test_another_sessions_index_seen_from_a_block(self) -> None:
        # In a block the check of its first statement runs before the block's read
        # transaction: SQLite's data version of the file has not seen the other session's
        # commit yet, so it cannot vouch for the kept cookie (SchemaCache::data_version).
        self.make_table("pm_block")
        client = self.client()
        self.prepare(client, "sel", "SELECT id, name FROM pm_block")
        for _ in range(2):
            self.assertEqual(self.codes(client.query("BEGIN")), [])
            self.assertEqual(self.rows(self.run_prepared(client, "sel")), [b"1", b"2", b"3"])
            self.assertEqual(self.codes(client.query("COMMIT")), [])
        self.execute(f"UNLOCK REALM rpm PASSWORD '{VAULT_PASSWORD}'",
                     "CREATE INDEX pm_block_ssn_name ON pm_block (ssn, name)")
        self.assertEqual(self.codes(client.query("BEGIN")), [])
        answer = self.run_prepared(client, "sel")
        self.assertEqual(self.codes(answer), ["42501"])
        self.assertEqual(self.rows(answer), [])  # not the ssn order 3, 1, 2
        client.query("ROLLBACK")

    def test_this_sessions_index(self) -> None:
        self.make_table("pm_own")
        client = self.client()
        self.prepare(client, "sel", "SELECT id, name FROM pm_own")
        self.assert_runs_in_id_order(client, "sel")
        for sql in (f"UNLOCK REALM rpm PASSWORD '{VAULT_PASSWORD}'",
                    "CREATE INDEX pm_own_ssn_name ON pm_own (ssn, name)", "LOCK REALM rpm"):
            self.assertEqual(self.codes(client.query(sql)), [], sql)
        self.assertEqual(self.codes(self.run_prepared(client, "sel")), ["42501"])

    def test_statistics_this_session_loads(self) -> None:
        # Every name is 'n': without statistics SQLite searches by name (in id order); with
        # them, the index on (grp, ssn) (in ssn order within grp).
        self.execute("CREATE TABLE pm_st (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT, grp INT)",
                     "INSERT INTO pm_st WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
                     "SELECT i + 1 FROM c WHERE i < 2000) "
                     "SELECT i, 'n', printf('%09d', (i * 7919) % 100000), i % 3 FROM c",
                     "CREATE INDEX pm_st_grp_ssn ON pm_st (grp, ssn)",
                     "CREATE INDEX pm_st_name ON pm_st (name)",
                     "CREATE TABLE pm_st_other (id INTEGER PRIMARY KEY, v TEXT)",
                     "CREATE INDEX pm_st_other_v ON pm_st_other (v)",
                     "ANALYZE pm_st_other")  # sqlite_stat1 made: a schema change
        client = self.client()
        self.prepare(client, "sel", "SELECT id FROM pm_st WHERE name = 'n' AND grp = 1 LIMIT 3")
        self.assertEqual(self.rows(self.run_prepared(client, "sel")), [b"1", b"4", b"7"])
        self.execute("ANALYZE pm_st")  # pm_st's statistics: no schema change
        self.execute("ALTER REALM rpm ADD COLUMN pm_st.ssn", user="secadmin")
        for _ in range(3):  # still planned without them
            self.assertEqual(self.rows(self.run_prepared(client, "sel")), [b"1", b"4", b"7"])
        self.assertEqual(self.codes(client.query("ANALYZE pm_st_other")), [])
        answer = self.run_prepared(client, "sel")
        self.assertEqual(self.codes(answer), ["42501"])
        self.assertEqual(self.rows(answer), [])


if __name__ == "__main__":
    client_case.main()
