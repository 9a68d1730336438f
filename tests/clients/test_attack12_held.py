#!/usr/bin/python3
"""attack12: what held of implicit blocks where the wire matters (the SQL-only parts are
tests/sql/attack12/implicit_blocks_held.test).

- Every result of a string is sent: `UNLOCK; SELECT; LOCK` shows the rows inside the string,
  and the LOCK holds for the next query.
- Statements prepared while a realm was unlocked (extended protocol) are checked again at each
  Execute: after `LOCK REALM` in a string, and after LOCK REALM inside a block, they are
  refused (42501; then 25P02 in the failed block). A Parse of several statements is 42601.
  A vault statement Executed inside a block is 25001 and fails the block.
- ReadyForQuery and what a string keeps match PostgreSQL 15: an error after a BEGIN in the
  string leaves the block failed (E); an error after a COMMIT leaves no block (I) and keeps
  what came before the COMMIT; `COMMIT; BEGIN` leaves a block open (T); in a failed block,
  `SELECT 1; ROLLBACK` is 25P02 and the block stays failed, `ROLLBACK; SELECT 2` ends it.
"""

import psycopg2
import psycopg2.extensions as ext

import client_case
from harness import extended as x
from harness import wire

PII_PASSWORD = "a12h-pii-realm-password"
HR_PASSWORD = "a12h-hr-realm-password"
STATUS = {ext.TRANSACTION_STATUS_IDLE: "I", ext.TRANSACTION_STATUS_INTRANS: "T",
          ext.TRANSACTION_STATUS_INERROR: "E"}


class Held(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, ssn TEXT)",
                    "INSERT INTO users VALUES (1, '078-05-1120')",
                    "CREATE TABLE t (id INTEGER PRIMARY KEY)")
        cls.execute(f"CREATE REALM pii12h REQUIRE VAULT PASSWORD '{PII_PASSWORD}'",
                    "ALTER REALM pii12h ADD TABLE users",
                    f"CREATE REALM hr12h REQUIRE VAULT PASSWORD '{HR_PASSWORD}' "
                    "TABLESPACE hr12h_ts", user="secadmin")
        cls.execute("CREATE TABLE sal (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE hr12h_ts",
                    f"UNLOCK REALM hr12h PASSWORD '{HR_PASSWORD}'",
                    "INSERT INTO sal VALUES (1, 100)")

    def setUp(self) -> None:
        self.require_dbvault()
        self.execute("DELETE FROM t")

    # --- helpers -------------------------------------------------------------------------
    def client(self) -> wire.WireClient:
        client = wire.WireClient(self.server.host, self.server.port)
        self.addCleanup(client.close)
        client.login("dba", self.server.passwords["dba"], self.server.dbname)
        return client

    @staticmethod
    def answer(messages: list) -> tuple[list, list[str], str]:
        """(rows, SQLSTATEs of the errors, ReadyForQuery status) of one exchange."""
        rows = [wire.data_row(payload) for kind, payload in messages if kind == "D"]
        errors = [wire.parse_error_fields(payload)["C"] for kind, payload in messages
                  if kind == "E"]
        status = messages[-1][1].decode() if messages and messages[-1][0] == "Z" else "?"
        return rows, errors, status

    def query(self, client: wire.WireClient, sql: str) -> tuple[list, list[str], str]:
        return self.answer(client.query(sql))

    def prepare(self, client: wire.WireClient, name: str, sql: str) -> tuple[list, list[str], str]:
        client.send(x.parse(name, sql) + x.sync())
        return self.answer(client.read_until("Z", raise_errors=False))

    def run_prepared(self, client: wire.WireClient, name: str,
                     *params: bytes) -> tuple[list, list[str], str]:
        client.send(x.bind("", name, params) + x.execute("") + x.sync())
        return self.answer(client.read_until("Z", raise_errors=False))

    def failing(self, cursor, sql: str) -> str:
        with self.assertRaises(psycopg2.Error, msg=sql) as caught:
            cursor.execute(sql)
        return caught.exception.pgcode

    def ids(self) -> list[int]:
        return [r[0] for r in self.execute("SELECT id FROM t ORDER BY id")]

    # --- the tests -----------------------------------------------------------------------
    def test_rows_inside_an_unlock_select_lock_string(self) -> None:
        client = self.client()
        rows, errors, status = self.query(
            client, f"UNLOCK REALM pii12h PASSWORD '{PII_PASSWORD}'; SELECT ssn FROM users; "
                    "LOCK REALM pii12h")
        self.assertEqual(errors, [])
        self.assertIn([b"078-05-1120"], rows, "the SELECT inside the string sent its row")
        self.assertEqual(status, "I")
        self.assertEqual(self.query(client, "SELECT ssn FROM users"), ([], ["42501"], "I"))

    def test_statements_prepared_while_unlocked_are_checked_at_each_execute(self) -> None:
        client = self.client()
        for realm, password in (("pii12h", PII_PASSWORD), ("hr12h", HR_PASSWORD)):
            self.assertEqual(self.query(client, f"UNLOCK REALM {realm} PASSWORD '{password}'")[1],
                             [])
        for name, sql in (("s1", "SELECT ssn FROM users"), ("s2", "SELECT amount FROM sal"),
                          ("s3", "INSERT INTO sal VALUES ($1, 5)")):
            self.assertEqual(self.prepare(client, name, sql), ([], [], "I"), sql)
        self.assertEqual(self.run_prepared(client, "s1"), ([[b"078-05-1120"]], [], "I"))
        self.assertEqual(self.run_prepared(client, "s2"), ([[b"100"]], [], "I"))
        # LOCK REALM of both in one string: every later Execute is refused.
        self.assertEqual(self.query(client, "LOCK REALM pii12h; LOCK REALM hr12h"), ([], [], "I"))
        self.assertEqual(self.run_prepared(client, "s1"), ([], ["42501"], "I"))
        self.assertEqual(self.run_prepared(client, "s2"), ([], ["42501"], "I"))
        self.assertEqual(self.run_prepared(client, "s3", b"7"), ([], ["42501"], "I"))
        # Inside a block: read, LOCK REALM, the same statement refused, the block failed.
        self.query(client, f"UNLOCK REALM hr12h PASSWORD '{HR_PASSWORD}'")
        self.assertEqual(self.query(client, "BEGIN"), ([], [], "T"))
        self.assertEqual(self.run_prepared(client, "s2"), ([[b"100"]], [], "T"))
        self.assertEqual(self.query(client, "LOCK REALM hr12h"), ([], [], "T"))
        self.assertEqual(self.run_prepared(client, "s2"), ([], ["42501"], "E"))
        self.assertEqual(self.run_prepared(client, "s3", b"8"), ([], ["25P02"], "E"))
        self.assertEqual(self.query(client, "ROLLBACK"), ([], [], "I"))
        # LOCK REALM at the end of a string that read: the prepared read is refused after it.
        self.query(client, f"UNLOCK REALM hr12h PASSWORD '{HR_PASSWORD}'")
        self.assertEqual(self.query(client, "SELECT amount FROM sal; LOCK REALM hr12h"),
                         ([[b"100"]], [], "I"))
        self.assertEqual(self.run_prepared(client, "s2"), ([], ["42501"], "I"))
        self.assertEqual(self.execute(f"UNLOCK REALM hr12h PASSWORD '{HR_PASSWORD}'",
                                      "SELECT id FROM sal"), [(1,)], "s3 inserted nothing")

    def test_parse_of_several_statements_is_refused(self) -> None:
        self.execute("INSERT INTO t VALUES (1)")
        client = self.client()
        for sql in ("SELECT 1; DELETE FROM t", "SELECT 1 /* ; */; DELETE FROM t",
                    "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN SELECT 1; END; DELETE FROM t"):
            self.assertEqual(self.prepare(client, "multi", sql), ([], ["42601"], "I"), sql)
        client.send(x.parse("", "SELECT 1; DELETE FROM t") + x.bind("", "") + x.execute("")
                    + x.sync())
        self.assertEqual(self.answer(client.read_until("Z", raise_errors=False)),
                         ([], ["42601"], "I"))
        self.assertEqual(self.ids(), [1])

    def test_vault_statement_executed_in_a_block(self) -> None:
        client = self.client()
        self.assertEqual(self.query(client, "BEGIN"), ([], [], "T"))
        client.send(x.parse("", "CREATE ROLE a12h_role") + x.bind("", "") + x.execute("")
                    + x.sync())
        self.assertEqual(self.answer(client.read_until("Z", raise_errors=False)),
                         ([], ["25001"], "E"))
        self.assertEqual(self.query(client, "ROLLBACK"), ([], [], "I"))
        self.assertEqual(self.query(client, "CREATE ROLE a12h_role"), ([], [], "I"),
                         "the role was not made by the refused statement")

    def test_ready_for_query_after_strings(self) -> None:
        connection = self.connect()
        cursor = connection.cursor()

        def status() -> str:
            return STATUS[connection.info.transaction_status]

        self.assertEqual(self.failing(cursor, "SELECT 1; BEGIN; SELECT * FROM nope"), "42P01")
        self.assertEqual(status(), "E")
        cursor.execute("ROLLBACK")
        self.assertEqual(self.failing(cursor, "BEGIN; SELECT 1; COMMIT; SELECT * FROM nope"),
                         "42P01")
        self.assertEqual(status(), "I")
        self.assertEqual(self.failing(cursor, "INSERT INTO t VALUES (1); COMMIT; "
                                              "INSERT INTO t VALUES (2); SELECT * FROM nope"),
                         "42P01")
        self.assertEqual(status(), "I")
        self.assertEqual(self.ids(), [1])
        cursor.execute("COMMIT; BEGIN")
        self.assertEqual(status(), "T")
        cursor.execute("ROLLBACK")
        # A block opened before: a COMMIT in the string ends it, the error after it is a
        # block of its own, rolled back; the session is left outside any block.
        cursor.execute("BEGIN")
        self.assertEqual(self.failing(cursor, "INSERT INTO t VALUES (3); COMMIT; "
                                              "INSERT INTO t VALUES (4); SELECT * FROM nope"),
                         "42P01")
        self.assertEqual(status(), "I")
        self.assertEqual(self.ids(), [1, 3])
        # A failed block: a string that only reaches its ROLLBACK after another statement is
        # refused at that statement (25P02) and the block stays failed.
        cursor.execute("BEGIN")
        self.assertEqual(self.failing(cursor, "SELECT * FROM nope"), "42P01")
        self.assertEqual(self.failing(cursor, "SELECT 1; ROLLBACK; SELECT 2"), "25P02")
        self.assertEqual(status(), "E")
        cursor.execute("ROLLBACK; SELECT 2")
        self.assertEqual(cursor.fetchall(), [(2,)])
        self.assertEqual(status(), "I")


if __name__ == "__main__":
    client_case.main()
