#!/usr/bin/python3
"""More of psql 15: `\\d+ users` (storage, statistics target and description columns), `\\dt+`
(persistence, access method, size), `\\x` expanded output, and CONNECT command rules that
refuse a psql login by application_name and by client address (docs/command-rules.md)."""

import client_case
from harness.wire import WireClient, WireError

PSQL = "/usr/bin/psql"


class PsqlMore(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY, username TEXT NOT NULL, "
                    "email VARCHAR(255))",
                    "INSERT INTO users VALUES (1, 'alice', 'alice@example.com'), "
                    "(2, 'bob', NULL)")

    def psql(self, *args: str, user: str = "dba", check: bool = True, **params: str):
        return self.run_client([PSQL, "-X", "-v", "ON_ERROR_STOP=1", *args], user=user,
                               check=check, **params)

    def test_describe_table_verbose(self):
        out = self.psql("-c", r"\d+ users").stdout
        self.assertRegex(out, r'Table "public\.users"')
        header = next(line for line in out.splitlines() if line.lstrip().startswith("Column"))
        for title in ("Type", "Nullable", "Default", "Storage", "Stats target", "Description"):
            self.assertIn(title, header)
        # column | type | collation | nullable | default | storage | ...
        self.assertRegex(out, r"(?m)^\s*user_id\s*\|\s*integer\s*\|[^|]*\|\s*not null\s*\|"
                              r"[^|]*\|\s*plain\s*\|")
        self.assertRegex(out, r"(?m)^\s*username\s*\|\s*text\s*\|[^|]*\|\s*not null\s*\|"
                              r"[^|]*\|\s*extended\s*\|")
        self.assertRegex(out, r"(?m)^\s*email\s*\|\s*character varying\(255\)\s*\|[^|]*\|\s*\|"
                              r"[^|]*\|\s*extended\s*\|")
        self.assertIn("Access method: heap", out)

    def test_list_tables_verbose(self):
        out = self.psql("-c", r"\dt+").stdout
        header = next(line for line in out.splitlines() if line.lstrip().startswith("Schema"))
        for title in ("Name", "Type", "Owner", "Persistence", "Access method", "Size",
                      "Description"):
            self.assertIn(title, header)
        self.assertRegex(out, r"(?m)^\s*public\s*\|\s*users\s*\|\s*table\s*\|\s*dba\s*\|"
                              r"\s*permanent\s*\|\s*heap\s*\|\s*(\d+ (bytes|kB))?\s*\|")

    def test_expanded_output(self):
        script = "\\x\nSELECT user_id, username, email FROM users ORDER BY user_id;\n"
        out = self.run_client([PSQL, "-X", "-v", "ON_ERROR_STOP=1"], input_text=script).stdout
        self.assertIn("Expanded display is on.", out)
        self.assertRegex(out, r"-\[ RECORD 1 \]-*")
        self.assertRegex(out, r"(?m)^user_id\s*\| 1$")
        self.assertRegex(out, r"(?m)^username\s*\| alice$")
        self.assertRegex(out, r"(?m)^email\s*\| $")  # bob's NULL
        self.assertRegex(out, r"-\[ RECORD 2 \]-*")

    def connect_rule(self, name: str, condition: str, message: str) -> None:
        self.require_dbvault()
        self.execute(f"CREATE COMMAND RULE {name} FOR CONNECT ON ANY DENY FROM USER auditor "
                     f"WHEN {condition} MESSAGE '{message}'", user="secadmin")
        self.addCleanup(self.execute, f"DROP COMMAND RULE {name}", user="secadmin")

    def assert_login_refused(self, message: str, **params: str) -> None:
        """psql as auditor fails with `message`; the same login over the wire gets 42501."""
        result = self.psql("-c", "SELECT 1", user="auditor", check=False, **params)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn(f"FATAL:  {message}", result.stderr)
        with WireClient(self.server.host, self.server.port) as client:
            with self.assertRaises(WireError) as caught:
                client.login("auditor", self.server.passwords["auditor"], self.server.dbname,
                             **params)
        self.assertEqual(caught.exception.sqlstate, "42501")
        self.assertIn(message, caught.exception.message)

    def test_connect_rule_by_application_name(self):
        self.connect_rule("auditor_not_psql", "program_name = 'psql'", "auditor: not from psql")
        self.assert_login_refused("auditor: not from psql", application_name="psql")
        ok = self.psql("-A", "-t", "-c", "SELECT 1", user="auditor",
                       application_name="report_tool")
        self.assertEqual(ok.stdout.strip(), "1")

    def test_connect_rule_by_client_address(self):
        self.connect_rule("auditor_not_local", "IN_CIDR(client_ip, '127.0.0.0/8')",
                          "auditor: not from this host")
        self.assert_login_refused("auditor: not from this host", application_name="psql")
        self.assert_login_refused("auditor: not from this host", application_name="other")
        ok = self.psql("-A", "-t", "-c", "SELECT 1", user="dba")  # the rule names auditor only
        self.assertEqual(ok.stdout.strip(), "1")


if __name__ == "__main__":
    client_case.main()
