#!/usr/bin/python3
"""The extended query protocol as the protocol documentation describes it, not only as three
clients use it (other drivers must work unmodified): named and unnamed statements and
portals, Describe with ParameterDescription types, row limits with PortalSuspended, binary
parameters and results, Close, Flush, discard-until-Sync after an error; plus the startup
ParameterStatus set, empty and multi-statement simple queries, and CancelRequest."""

import struct
import threading

import client_case
from harness import extended as x
from harness.wire import WireClient, WireError, data_row, parse_error_fields

INT_OIDS = {20, 21, 23}
STARTUP_PARAMETERS = ("server_version", "server_encoding", "client_encoding", "DateStyle",
                      "TimeZone", "integer_datetimes", "standard_conforming_strings",
                      "application_name", "is_superuser", "session_authorization")


class ExtendedProtocol(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE ext_items (id INTEGER PRIMARY KEY, name TEXT)",
                    "INSERT INTO ext_items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), "
                    "(5, 'e')")

    def client(self) -> WireClient:
        client = WireClient(self.server.host, self.server.port)
        self.addCleanup(client.close)
        client.login("dba", self.server.passwords["dba"], self.server.dbname,
                     application_name="ext-test")
        return client

    def exchange(self, client: WireClient, *messages: bytes) -> list[tuple[str, bytes]]:
        client.send(b"".join(messages))
        return client.read_until("Z", raise_errors=False)

    @staticmethod
    def kinds(replies) -> str:
        return "".join(kind for kind, _ in replies)

    def test_startup_parameters(self):
        client = self.client()
        for name in STARTUP_PARAMETERS:
            self.assertIn(name, client.parameters)
        self.assertEqual(client.parameters["application_name"], "ext-test")
        self.assertEqual(client.parameters["session_authorization"], "dba")
        self.assertEqual(client.parameters["integer_datetimes"], "on")
        self.assertIsNotNone(client.backend_key)

    def test_describe_statement_infers_parameter_types(self):
        client = self.client()
        replies = self.exchange(client, x.parse("by_id", "SELECT id, name FROM ext_items WHERE "
                                                "id = $1"), x.describe("S", "by_id"), x.sync())
        self.assertEqual(self.kinds(replies), "1tTZ")
        oids = x.parameter_oids(replies[1][1])
        self.assertEqual(len(oids), 1)
        self.assertIn(oids[0], INT_OIDS, "a parameter compared with an INTEGER column")
        columns = x.row_description(replies[2][1])
        self.assertEqual([c[0] for c in columns], ["id", "name"])
        self.assertIn(columns[0][1], INT_OIDS)
        self.assertEqual(columns[1][1], 25)  # text

    def test_named_statement_two_portals_and_row_limits(self):
        client = self.client()
        sql = "SELECT id FROM ext_items WHERE id >= $1 ORDER BY id"
        replies = self.exchange(
            client, x.parse("from_id", sql, (23,)),
            x.bind("p1", "from_id", (b"1",)), x.bind("p2", "from_id", (b"4",)),
            x.execute("p1", 2), x.execute("p2", 0), x.execute("p1", 2), x.execute("p1", 2),
            x.sync())
        self.assertEqual(self.kinds(replies), "122DDsDDCDDsDCZ")
        values = [data_row(p)[0] for k, p in replies if k == "D"]
        self.assertEqual(values, [b"1", b"2", b"4", b"5", b"3", b"4", b"5"])

    def test_binary_parameters_and_results(self):
        client = self.client()
        replies = self.exchange(
            client, x.parse("", "SELECT id, name FROM ext_items WHERE id = $1", (23,)),
            x.bind("", "", (struct.pack("!i", 3),), (1,), (1, 1)), x.describe("P", ""),
            x.execute(""), x.sync())
        self.assertEqual(self.kinds(replies), "12TDCZ")
        (_, oid, fmt), (_, text_oid, text_fmt) = x.row_description(replies[2][1])
        self.assertEqual((fmt, text_fmt, text_oid), (1, 1, 25))
        raw_id, raw_name = data_row(replies[3][1])
        self.assertEqual(struct.unpack({20: "!q", 21: "!h", 23: "!i"}[oid], raw_id)[0], 3)
        self.assertEqual(raw_name, b"c")

    def test_vault_statement_rows_are_described(self):
        # A statement whose Execute sends DataRows must be described by a RowDescription,
        # not NoData: drivers decode rows by it (asyncpg, pgjdbc and psycopg 3 Describe first).
        self.require_dbvault()
        client = self.client()
        replies = self.exchange(client, x.parse("", "EXPLAIN VAULT SELECT * FROM ext_items"),
                                x.describe("S", ""), x.bind("", ""), x.execute(""), x.sync())
        kinds = self.kinds(replies)
        self.assertEqual(kinds[:3], "1tT", kinds)
        self.assertIn("D", kinds)

    def test_error_discards_until_sync(self):
        client = self.client()
        replies = self.exchange(client, x.parse("", "SELECT * FROM no_such_table"),
                                x.bind("", ""), x.execute(""), x.sync())
        self.assertEqual(self.kinds(replies), "EZ")
        self.assertEqual(parse_error_fields(replies[0][1])["C"], "42P01")
        replies = self.exchange(client, x.parse("", "SELECT 1"), x.bind("", ""),
                                x.execute(""), x.sync())
        self.assertEqual(self.kinds(replies), "12DCZ")

    def test_named_transaction_statements_bound_later(self):
        # pgjdbc parses BEGIN / ROLLBACK once as named statements and binds them when needed,
        # also after an error has failed the block; a statement prepared before the failure
        # is refused until the block ends (25P02)
        client = self.client()
        self.exchange(client, x.parse("begin", "BEGIN"), x.parse("rollback", "ROLLBACK"),
                      x.parse("ins", "INSERT INTO ext_items (id, name) VALUES ($1, 'x')", (23,)),
                      x.sync())

        def run(statement: str, *params: bytes) -> str:
            replies = self.exchange(client, x.bind("", statement, params), x.execute(""),
                                    x.sync())
            errors = [parse_error_fields(p)["C"] for k, p in replies if k == "E"]
            return (errors[0] if errors else "ok") + replies[-1][1].decode()
        self.assertEqual(run("begin"), "okT")
        self.assertEqual(run("ins", b"1"), "23505E")  # id 1 exists
        self.assertEqual(run("ins", b"60"), "25P02E")
        self.assertEqual(run("rollback"), "okI")
        self.assertEqual(run("ins", b"61"), "okI")
        rows = client.query_rows("SELECT id FROM ext_items WHERE id >= 60")
        self.assertEqual(rows, [["61"]])
        client.query_rows("DELETE FROM ext_items WHERE id >= 60")

    def test_close_statement(self):
        client = self.client()
        self.exchange(client, x.parse("gone", "SELECT 1"), x.sync())
        replies = self.exchange(client, x.close("S", "gone"), x.bind("", "gone"), x.sync())
        self.assertEqual(self.kinds(replies), "3EZ")
        self.assertEqual(parse_error_fields(replies[1][1])["C"], "26000")

    def test_flush_sends_without_sync(self):
        client = self.client()
        client.send(x.parse("flushed", "SELECT 1") + x.flush())
        self.assertEqual(client.read_message()[0], "1")
        self.exchange(client, x.sync())

    def test_empty_and_multi_statement_simple_queries(self):
        client = self.client()
        self.assertEqual(self.kinds(client.query("")), "IZ")
        replies = client.query("SELECT 1; SELECT * FROM no_such_table; SELECT 3")
        self.assertEqual(self.kinds(replies), "TDCEZ")
        self.assertEqual(client.query_rows("SELECT 4"), [["4"]])

    def test_cancel_request(self):
        client = self.client()
        client.sock.settimeout(30)
        long_query = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                      "WHERE n < 500000000) SELECT count(*) FROM c")
        timer = threading.Timer(0.5, client.cancel)
        timer.start()
        try:
            with self.assertRaises(WireError) as caught:
                client.query_rows(long_query)
        finally:
            timer.cancel()
        self.assertEqual(caught.exception.sqlstate, "57014")
        self.assertEqual(client.query_rows("SELECT 5"), [["5"]])


if __name__ == "__main__":
    client_case.main()
