#!/usr/bin/python3
"""attack7: a prepared statement outlived DROP TABLE + CREATE TABLE ... ENCRYPTED.

A statement prepared (extended protocol Parse) against a plaintext table t kept running after t
was dropped and created again with an ENCRYPTED column: SQLite compiles it again on its own,
but the engine's rewrite that seals written values, and the plan that opens read ones, were
made for the old table. The old INSERT stored its value as plaintext in the encrypted column;
the old SELECT returned the stored ciphertext. Now each execution checks the shape of its
tables' encrypted columns: changed, the statement answers 0A000 "cached plan must not change
result type" and must be prepared again (docs/encryption.md §13.3). Also here (it needs a
driver's notices): CREATE TABLE IF NOT EXISTS ... ENCRYPTED over an existing table sends
PostgreSQL's NOTICE 42P07 and changes nothing.
"""

import client_case
from harness import extended as x
from harness import wire


class PreparedShape(client_case.ServerCase):
    def setUp(self) -> None:
        self.require_dbvault()

    @staticmethod
    def rows(messages: list) -> list:
        return [wire.data_row(payload) for kind, payload in messages if kind == "D"]

    @staticmethod
    def codes(messages: list) -> list:
        return [wire.parse_error_fields(payload)["C"] for kind, payload in messages if kind == "E"]

    def run_prepared(self, client: wire.WireClient, name: str, params: tuple) -> list:
        client.send(x.bind("", name, params) + x.execute("", 0) + x.sync())
        return client.read_until("Z", raise_errors=False)

    def test_insert_prepared_before_the_table_became_encrypted(self) -> None:
        self.execute("CREATE TABLE ps7 (id INTEGER PRIMARY KEY, ssn TEXT)")
        with wire.WireClient("127.0.0.1", self.server.port) as client:
            client.login("dba", self.server.passwords["dba"])
            client.send(x.parse("ins", "INSERT INTO ps7 VALUES ($1, $2)") + x.sync())
            self.assertEqual(self.codes(client.read_until("Z", raise_errors=False)), [])
            self.assertEqual(self.codes(self.run_prepared(client, "ins", (b"1", b"plain-1"))), [])
            self.execute("DROP TABLE ps7",
                         "CREATE TABLE ps7 (id INTEGER PRIMARY KEY, ssn TEXT ENCRYPTED)")
            old = self.run_prepared(client, "ins", (b"2", b"ps7-marker-value"))
            self.assertEqual(self.codes(old), ["0A000"])
            # nothing was written; a statement prepared now seals its value
            self.assertEqual(self.execute("SELECT count(*) FROM ps7"), [(0,)])
            client.send(x.parse("ins2", "INSERT INTO ps7 VALUES ($1, $2)") + x.sync())
            client.read_until("Z", raise_errors=False)
            self.assertEqual(self.codes(self.run_prepared(client, "ins2", (b"3", b"sealed-3"))),
                             [])
        self.assertEqual(self.execute("SELECT id, ssn FROM ps7"), [(3, "sealed-3")])

    def test_select_prepared_before_the_table_became_encrypted(self) -> None:
        self.execute("CREATE TABLE pr7 (id INTEGER PRIMARY KEY, ssn TEXT)")
        with wire.WireClient("127.0.0.1", self.server.port) as client:
            client.login("dba", self.server.passwords["dba"])
            client.send(x.parse("sel", "SELECT ssn FROM pr7 WHERE id = $1") + x.sync())
            client.read_until("Z", raise_errors=False)
            self.execute("DROP TABLE pr7",
                         "CREATE TABLE pr7 (id INTEGER PRIMARY KEY, ssn TEXT ENCRYPTED)",
                         "INSERT INTO pr7 VALUES (1, 'pr7-secret-1')")
            old = self.run_prepared(client, "sel", (b"1",))
            self.assertEqual(self.codes(old), ["0A000"])
            self.assertEqual(self.rows(old), [])  # no ciphertext came out
            # the reverse: prepared on the encrypted table, run over a plaintext one
            client.send(x.parse("sel2", "SELECT ssn FROM pr7 WHERE id = $1") + x.sync())
            client.read_until("Z", raise_errors=False)
            self.assertEqual(self.rows(self.run_prepared(client, "sel2", (b"1",))),
                             [[b"pr7-secret-1"]])
            self.execute("DROP TABLE pr7", "CREATE TABLE pr7 (id INTEGER PRIMARY KEY, ssn TEXT)",
                         "INSERT INTO pr7 VALUES (1, 'plain-again')")
            self.assertEqual(self.codes(self.run_prepared(client, "sel2", (b"1",))), ["0A000"])

    def test_create_if_not_exists_sends_the_notice(self) -> None:
        self.execute("CREATE TABLE ne7 (id INTEGER PRIMARY KEY, ssn TEXT)",
                     "INSERT INTO ne7 VALUES (1, 'ne7-plain')")
        connection = self.connect()
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS ne7 (id INTEGER PRIMARY KEY, "
                           "ssn TEXT ENCRYPTED)")
            cursor.execute("SELECT id, ssn FROM ne7")
            self.assertEqual(cursor.fetchall(), [(1, "ne7-plain")])
        self.assertEqual([n.strip() for n in connection.notices],
                         ['NOTICE:  relation "ne7" already exists, skipping'])


if __name__ == "__main__":
    client_case.main()
