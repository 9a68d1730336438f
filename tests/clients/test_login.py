#!/usr/bin/python3
"""Logins: a wrong password and an unknown user are the same 28P01 (the answer does not tell
whether the user exists), a startup without a user is refused, failures are audited with
the client's address, and a CONNECT command rule refuses a login after authentication."""

import client_case
from harness.wire import ConnectionClosed, WireClient, WireError, startup_packet


class Login(client_case.ServerCase):
    def refusal(self, user: str, password: str, **params: str) -> WireError:
        with WireClient(self.server.host, self.server.port) as client:
            with self.assertRaises(WireError) as caught:
                client.login(user, password, self.server.dbname, **params)
        return caught.exception

    def test_wrong_password_and_unknown_user_look_alike(self):
        wrong = self.refusal("dba", "wrong-password-for-dba")
        unknown = self.refusal("nobody_here", "wrong-password-for-dba")
        self.assertEqual(wrong.sqlstate, "28P01")
        self.assertEqual(unknown.sqlstate, "28P01")
        self.assertEqual(wrong.message.replace("dba", "USER"),
                         unknown.message.replace("nobody_here", "USER"))
        self.assertEqual(wrong.fields.get("S"), "FATAL")

    def test_empty_and_case_changed_passwords(self):
        password = self.server.passwords["dba"]
        for attempt in ("", password.upper(), password + " ", password[:-1]):
            with self.subTest(length=len(attempt)):
                self.assertEqual(self.refusal("dba", attempt).sqlstate, "28P01")

    def test_psql_reports_the_failure(self):
        result = self.run_client(["psql", "-X", "-c", "SELECT 1"], password="not-the-password",
                                 check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn('password authentication failed for user "dba"', result.stderr)

    def test_startup_without_user(self):
        with WireClient(self.server.host, self.server.port) as client:
            client.send(startup_packet({"database": self.server.dbname}))
            with self.assertRaises((WireError, ConnectionClosed)) as caught:
                client.read_until("Z")
        if isinstance(caught.exception, WireError):
            self.assertIn(caught.exception.sqlstate, ("28000", "08P01"))

    def test_failures_are_audited_with_the_address(self):
        self.require_dbvault()
        self.refusal("dba", "wrong-password-audited")
        rows = self.execute("SELECT ip_address, result FROM vault.audit_log "
                            "WHERE event_type = 'login_failed' ORDER BY seq DESC LIMIT 1",
                            user="auditor")
        self.assertEqual(rows, [("127.0.0.1", "FAILURE")])

    def test_connect_rule_refuses_after_authentication(self):
        self.require_dbvault()
        self.execute("CREATE COMMAND RULE auditor_no_psql FOR CONNECT ON ANY DENY FROM USER "
                     "auditor WHEN program_name = 'psql' MESSAGE 'auditor: use the report tool'",
                     user="secadmin")
        self.addCleanup(self.execute, "DROP COMMAND RULE auditor_no_psql", user="secadmin")
        refused = self.refusal("auditor", self.server.passwords["auditor"],
                               application_name="psql")
        self.assertEqual(refused.sqlstate, "42501")
        self.assertIn("auditor: use the report tool", refused.message)
        with WireClient(self.server.host, self.server.port) as client:
            client.login("auditor", self.server.passwords["auditor"], self.server.dbname,
                         application_name="report_tool")
            self.assertEqual(client.query_rows("SELECT 1"), [["1"]])


if __name__ == "__main__":
    client_case.main()
