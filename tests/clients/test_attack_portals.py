#!/usr/bin/python3
"""Attack: rows of a realm table keep flowing from a portal after the realm is locked.

A session unlocks a realm, opens a portal on a realm table inside a transaction block and
reads one row (Execute with a row limit: PortalSuspended), then runs LOCK REALM and resumes
the portal. The vault checked the statement only at its first step, so the rest of the rows
came out after the lock (and also after an error had failed the block, where PostgreSQL
answers 25P02). Every Execute of a resumed portal is checked again. Also kept: a prepared
statement bound again after the lock is refused (that held before).
"""

import client_case
from harness import extended as x
from harness import wire


class ResumedPortal(client_case.ServerCase):
    def setUp(self) -> None:
        self.require_dbvault()
        self.execute("CREATE TABLE secrets (id INTEGER PRIMARY KEY, s TEXT)",
                     "INSERT INTO secrets VALUES (1, 'portal-marker-1'), (2, 'portal-marker-2'),"
                     " (3, 'portal-marker-3')")
        self.execute("CREATE REALM portal_realm REQUIRE VAULT PASSWORD 'portal-realm-pw-1'",
                     "ALTER REALM portal_realm ADD TABLE secrets", user="secadmin")

    def tearDown(self) -> None:
        self.execute("DROP REALM portal_realm", user="secadmin")
        self.execute("DROP TABLE secrets")

    def open_portal(self, client: wire.WireClient) -> list:
        client.login("dba", self.server.passwords["dba"])
        client.query("BEGIN")
        client.query("UNLOCK REALM portal_realm PASSWORD 'portal-realm-pw-1'")
        client.send(x.parse("s1", "SELECT s FROM secrets ORDER BY id") + x.bind("p1", "s1")
                    + x.execute("p1", 1) + x.sync())
        return client.read_until("Z", raise_errors=False)

    @staticmethod
    def rows(messages: list) -> list:
        return [wire.data_row(payload) for kind, payload in messages if kind == "D"]

    @staticmethod
    def errors(messages: list) -> list:
        return [wire.parse_error_fields(payload) for kind, payload in messages if kind == "E"]

    def test_locked_realm_stops_a_suspended_portal(self) -> None:
        with wire.WireClient("127.0.0.1", self.server.port) as client:
            first = self.open_portal(client)
            self.assertEqual(self.rows(first), [[b"portal-marker-1"]])
            self.assertIn("s", [kind for kind, _ in first])  # PortalSuspended
            client.query("LOCK REALM portal_realm")
            client.send(x.execute("p1", 0) + x.sync())
            rest = client.read_until("Z", raise_errors=False)
            self.assertEqual(self.rows(rest), [])
            self.assertEqual([e["C"] for e in self.errors(rest)], ["42501"])
            client.query("ROLLBACK")
            # the statement bound again after the lock (and the failed block): refused too
            client.send(x.bind("p2", "s1") + x.execute("p2", 0) + x.sync())
            again = client.read_until("Z", raise_errors=False)
            self.assertEqual(self.rows(again), [])
            self.assertEqual([e["C"] for e in self.errors(again)], ["42501"])

    def test_failed_block_stops_a_suspended_portal(self) -> None:
        with wire.WireClient("127.0.0.1", self.server.port) as client:
            self.open_portal(client)
            client.send(x.parse("", "SELECT * FROM no_such_table") + x.bind("", "")
                        + x.execute("", 0) + x.sync())
            failed = client.read_until("Z", raise_errors=False)
            self.assertEqual([e["C"] for e in self.errors(failed)], ["42P01"])
            client.send(x.execute("p1", 0) + x.sync())
            rest = client.read_until("Z", raise_errors=False)
            self.assertEqual(self.rows(rest), [])
            self.assertEqual([e["C"] for e in self.errors(rest)], ["25P02"])
            client.query("ROLLBACK")


if __name__ == "__main__":
    client_case.main()
