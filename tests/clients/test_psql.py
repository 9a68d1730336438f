#!/usr/bin/python3
"""psql 15 against the server: the meta-commands people type (\\dt, \\d users, \\du, \\l, \\dn,
\\conninfo), \\copy in and out (text and CSV), and errors with their SQLSTATE under
\\set VERBOSITY verbose."""

import client_case

PSQL = "/usr/bin/psql"


class Psql(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY, username TEXT, "
                    "email VARCHAR(255))",
                    "INSERT INTO users VALUES (1, 'alice', 'alice@example.com'), "
                    "(2, 'bob', NULL), (3, 'carol, \"the\" admin', 'c@example.com')")

    def psql(self, *args: str, user: str = "dba", input_text: str | None = None,
             check: bool = True):
        return self.run_client([PSQL, "-X", "-v", "ON_ERROR_STOP=1", *args], user=user,
                               input_text=input_text, check=check)

    def test_list_tables(self):
        out = self.psql("-c", r"\dt").stdout
        self.assertRegex(out, r"(?m)^\s*\S+\s*\|\s*users\s*\|\s*table\s*\|")

    def test_describe_table(self):
        out = self.psql("-c", r"\d users").stdout
        for column in ("user_id", "username", "email"):
            self.assertRegex(out, rf"(?m)^\s*{column}\s*\|")
        self.assertIn("integer", out)

    def test_list_roles(self):
        out = self.psql("-c", r"\du").stdout
        for account in ("dba", "secadmin", "auditor"):
            self.assertRegex(out, rf"(?m)^\s*{account}\s*\|")

    def test_other_meta_commands(self):
        self.assertIn("List of databases", self.psql("-c", r"\l").stdout)
        self.assertIn("List of schemas", self.psql("-c", r"\dn").stdout)
        out = self.psql("-c", r"\conninfo").stdout
        self.assertIn('as user "dba"', out)
        self.assertIn("SSL connection (protocol: TLSv1.3", out)

    def test_copy_out_and_in(self):
        for fmt in ("", " WITH (FORMAT csv, HEADER)"):
            with self.subTest(format=fmt or "text"):
                path = self.server.workdir / "users.copy"
                self.psql("-c", f"\\copy users TO '{path}'{fmt}")
                exported = path.read_text()
                self.assertIn("alice@example.com", exported)
                if fmt:
                    self.assertTrue(exported.startswith("user_id,username,email\n"))
                    self.assertIn('"carol, ""the"" admin"', exported)
                else:
                    self.assertIn("2\tbob\t\\N\n", exported)
                self.psql("-c", "DROP TABLE IF EXISTS users_copy")
                self.psql("-c", "CREATE TABLE users_copy (user_id INTEGER PRIMARY KEY, "
                                "username TEXT, email VARCHAR(255))")
                out = self.psql("-c", f"\\copy users_copy FROM '{path}'{fmt}").stdout
                self.assertIn("COPY 3", out)
                rows = self.psql("-A", "-t", "-c", "SELECT user_id, username, email IS NULL "
                                 "FROM users_copy ORDER BY user_id").stdout.splitlines()
                self.assertEqual(rows[1].split("|")[:2], ["2", "bob"])
                self.assertEqual(rows[2].split("|")[1], 'carol, "the" admin')

    def test_copy_from_stdin(self):
        self.psql("-c", "CREATE TABLE IF NOT EXISTS stdin_copy (id INTEGER, name TEXT)")
        out = self.psql("-c", r"\copy stdin_copy FROM STDIN", input_text="1\tone\n2\ttwo\n\\.\n")
        self.assertIn("COPY 2", out.stdout)
        out = self.psql("-A", "-t", "-c", "SELECT count(*) FROM stdin_copy").stdout
        self.assertEqual(out.strip(), "2")

    def test_error_carries_sqlstate(self):
        script = "\\set VERBOSITY verbose\nSELECT * FROM no_such_table;\n"
        result = self.psql(input_text=script, check=False)
        self.assertEqual(result.returncode, 3, result.stderr)  # ON_ERROR_STOP in a script
        self.assertRegex(result.stderr, r"ERROR:\s+42P01:")

    def test_syntax_error_has_position(self):
        result = self.psql("-c", "SELECT FROM WHERE", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("syntax error", result.stderr)
        self.assertIn("LINE 1:", result.stderr)  # psql prints the position it was given

    def test_realm_denial_over_psql(self):
        self.require_dbvault()
        self.psql("-c", "CREATE TABLE psql_secret (id INTEGER, v TEXT)")
        self.psql("-c", "INSERT INTO psql_secret VALUES (1, 'classified')")
        self.psql("-c", "CREATE REALM psql_realm REQUIRE VAULT PASSWORD 'psql-realm-pw-123'",
                  user="secadmin")
        self.psql("-c", "ALTER REALM psql_realm ADD TABLE psql_secret", user="secadmin")
        script = "\\set VERBOSITY verbose\nSELECT * FROM psql_secret;\n"
        result = self.psql(input_text=script, check=False)
        self.assertRegex(result.stderr, r"ERROR:\s+42501: .*psql_realm")
        script = ("UNLOCK REALM psql_realm PASSWORD 'psql-realm-pw-123';\n"
                  "SELECT v FROM psql_secret;\n")
        self.assertIn("classified", self.psql("-A", "-t", input_text=script).stdout)


if __name__ == "__main__":
    client_case.main()
