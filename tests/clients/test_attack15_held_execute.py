#!/usr/bin/python3
"""Attack 15 / surface 3: the Execute recheck skip (server/session/extended.cpp on_execute).

The skip applies when the Execute is the next message after the Describe that stepped the
portal AND "the client's bytes were already buffered when the Describe began". buffered() is
the decoder's raw byte count, so a client that sends Bind + Describe + only the first byte of
Execute satisfies it, then holds the rest of the Execute as long as it likes. Whatever ends the
session's access in that time (another session's ALTER REALM ADD, REVOKE VAULT PASSWORD, the
grant's expiry) is not checked again: the Execute streams every row.

Each test: a control (Describe, Flush, later Execute: rechecked -> 42501) and the attack.
PASS = no protected row after the access ended; FAIL = rows leaked.
"""

import time

from attack15_common import Hole, ServerCase, errors, main, rows, wire, x

SQL = "SELECT id, s FROM secrets ORDER BY id"


class HeldExecute(ServerCase):
    def setUp(self):
        self.execute("CREATE TABLE secrets (id INTEGER PRIMARY KEY, s TEXT)",
                     "INSERT INTO secrets VALUES (1,'a15-secret-1'),(2,'a15-secret-2'),"
                     "(3,'a15-secret-3')")
        self.execute("CREATE REALM a15r REQUIRE VAULT PASSWORD 'a15-realm-pw-1'",
                     user="secadmin")

    def tearDown(self):
        self.execute("DROP REALM IF EXISTS a15r", user="secadmin")
        self.execute("DROP TABLE secrets")

    def client(self):
        c = wire.WireClient("127.0.0.1", self.server.port)
        self.addCleanup(c.close)
        c.login("dba", self.server.passwords["dba"])
        return c

    def open_portal(self, c, held: bool):
        """Parse/Bind/Describe; held: plus the first byte of Execute (the rest withheld);
        else a Flush. Returns once the Describe's RowDescription came back."""
        first = x.parse("", SQL) + x.bind("", "") + x.describe("P", "")
        execute = x.execute("", 0)
        if held:
            # No Flush may come between Describe and Execute, so the Describe's answer stays
            # in the server's output buffer: give the server time to handle the Describe.
            c.send(first + execute[:1])
            time.sleep(1.0)
        else:
            c.send(first + x.flush())
            got = c.read_until("Tn", raise_errors=False)
            self.assertIn("T", [k for k, _ in got], got)
        return execute[1:] if held else execute

    def finish(self, c, rest):
        c.send(rest + x.sync())
        return c.read_until("Z", raise_errors=False)

    def run_case(self, end_access, held):
        c = self.client()
        self.before(c)
        rest = self.open_portal(c, held)
        end_access()
        # the session's next statement is refused: its access has ended
        out = self.finish(c, rest)
        return rows(out), [e.get("C") for e in errors(out)]

    # -- access ended by a policy change of another session ----------------------------
    def before(self, c):
        pass

    def add_to_realm(self):
        self.execute("ALTER REALM a15r ADD TABLE secrets", user="secadmin")

    def test_policy_change_control(self):
        got, codes = self.run_case(self.add_to_realm, held=False)
        self.assertEqual((got, codes), ([], ["42501"]), "control: Execute after Flush")

    def test_policy_change_held_execute(self):
        got, codes = self.run_case(self.add_to_realm, held=True)
        if got:
            raise Hole(f"realm added between Describe and Execute, yet Execute sent {got} "
                       f"(errors {codes})")


    def test_suspended_then_held_execute(self):
        """Execute(max_rows=1) pipelined after the Describe (skip), PortalSuspended, then a
        second Execute held until the realm was added: rows > 0, so it is rechecked."""
        c = self.client()
        c.send(x.parse("", SQL) + x.bind("", "") + x.describe("P", "") + x.execute("", 1)
               + x.execute("", 0)[:1])
        time.sleep(1.0)
        self.add_to_realm()
        c.send(x.execute("", 0)[1:] + x.sync())
        out = c.read_until("Z", raise_errors=False)
        got, codes = rows(out), [e.get("C") for e in errors(out)]
        print(f"  suspended portal: rows {got}, errors {codes}")
        if len(got) > 1:
            raise Hole(f"second Execute after PortalSuspended sent {got}")
        self.assertEqual(codes, ["42501"])


class HeldExecuteRevoked(HeldExecute):
    """The session was admitted with a temporary vault password that is revoked (or
    expires) while the Execute is held."""

    def setUp(self):
        super().setUp()
        self.execute("ALTER REALM a15r ADD TABLE secrets", user="secadmin")

    def grant(self, interval="1 hour"):
        got = self.execute(f"GRANT VAULT PASSWORD ON REALM a15r TO dba VALID FOR '{interval}'",
                           user="secadmin")
        return got[0][2]  # (realm, user, password, password_id, expires_at)

    def unlock_with(self, c, password):
        out = c.query(f"UNLOCK REALM a15r PASSWORD '{password}'")
        self.assertEqual(errors(out), [], "unlock with the temporary password")
        self.assertEqual(len(rows(c.query(SQL))), 3, "admitted before")

    def revoke(self):
        self.execute("REVOKE VAULT PASSWORD ON REALM a15r FROM dba", user="secadmin")

    def _case(self, held):
        password = self.grant()
        self.before = lambda c: self.unlock_with(c, password)
        return self.run_case(self.revoke, held)

    def test_policy_change_control(self):
        got, codes = self._case(held=False)
        self.assertEqual((got, codes), ([], ["42501"]), "control: Execute after Flush")

    def test_policy_change_held_execute(self):
        got, codes = self._case(held=True)
        if got:
            raise Hole(f"temporary password revoked between Describe and Execute, yet "
                       f"Execute sent {got} (errors {codes})")

    def test_grant_expiry_held_execute(self):
        password = self.grant("3 seconds")
        self.before = lambda c: self.unlock_with(c, password)

        def wait_expiry():
            time.sleep(4.5)
            c2 = self.client()  # the same user's other session: its unlock is gone
            c2.query(f"UNLOCK REALM a15r PASSWORD '{password}'")

        got, codes = self.run_case(wait_expiry, held=True)
        if got:
            raise Hole(f"grant expired between Describe and Execute, yet Execute sent {got} "
                       f"(errors {codes})")


if __name__ == "__main__":
    main()
