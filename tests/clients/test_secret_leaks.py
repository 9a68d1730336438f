#!/usr/bin/python3
"""No secret a client sends or receives may reach the server's log or any file of its data
directory, nor come back in an error message: login passwords (right and wrong, through
psql, psycopg2 and the extended protocol), passwords of CREATE/ALTER USER, realm passwords,
temporary vault passwords and vault tokens. The server logs at debug level meanwhile."""

import secrets
import struct

import psycopg2

import client_case
from harness import SecretSet, find_leaks
from harness.wire import WireClient, WireError, message


def fresh(tag: str) -> str:
    return f"{tag}-{secrets.token_urlsafe(12)}"


class SecretLeaks(client_case.ServerCase):
    # PostgreSQL writes the text of a failed statement to its log (log_min_error_statement
    # = error), passwords included: the leak this test exists to catch, here in the
    # reference server, which we only use to check the test itself.
    SERVER_OPTIONS = {"postgresql": {"settings": {"log_min_error_statement": "panic"}}}

    def setUp(self) -> None:
        self.secrets = SecretSet()
        for account, password in self.server.passwords.items():
            self.secrets.add(password, f"login password of {account}")

    def expect_error(self, sql: str, user: str = "dba") -> psycopg2.Error:
        """Runs sql, which must fail; its error text must not hold a secret."""
        with self.assertRaises(psycopg2.Error) as caught:
            self.execute(sql, user=user)
        self.assert_clean(str(caught.exception), f"the error of {sql[:30]}...")
        return caught.exception

    def assert_clean(self, text: str, where: str) -> None:
        for value, origin in self.secrets.items():
            self.assertNotIn(value, text, f"{origin} appears in {where}")

    def extended_query(self, user: str, sql: str) -> list:
        """Parse/Bind/Execute/Sync by hand: the statement text travels in a Parse message."""
        with WireClient(self.server.host, self.server.port) as client:
            client.login(user, self.server.passwords[user], self.server.dbname)
            client.send(message(b"P", b"\0" + sql.encode() + b"\0" + struct.pack("!H", 0))
                        + message(b"B", b"\0\0" + struct.pack("!HHH", 0, 0, 0))
                        + message(b"E", b"\0" + struct.pack("!I", 0)) + message(b"S"))
            return client.read_until("Z")

    def logins(self) -> None:
        for attempt in (fresh("wrong-login"), fresh("wrong-login")):
            self.secrets.add(attempt, "a wrong login password")
            self.run_client(["psql", "-X", "-c", "SELECT 1"], password=attempt, check=False)
            with WireClient(self.server.host, self.server.port) as client:
                with self.assertRaises(WireError) as caught:
                    client.login("dba", attempt, self.server.dbname)
                self.assert_clean(str(caught.exception.fields), "a login refusal")
        self.run_client(["psql", "-X", "-c", "SELECT 1"])  # the right one, through PGPASSWORD

    def accounts(self) -> None:
        user_pw, new_pw = fresh("user-login"), fresh("user-login-new")
        self.secrets.add(user_pw, "CREATE USER password")
        self.secrets.add(new_pw, "ALTER USER password")
        create = (f"CREATE USER leak_user WITH PASSWORD '{user_pw}'" if self.kind == "dbvault"
                  else f"CREATE ROLE leak_user LOGIN PASSWORD '{user_pw}'")
        kinds = [k for k, _ in self.extended_query("dba", create)]
        self.assertNotIn("E", kinds)
        self.execute(f"ALTER USER leak_user WITH PASSWORD '{new_pw}'")
        duplicate = fresh("duplicate-user")
        self.secrets.add(duplicate, "the password of a refused CREATE USER")
        self.expect_error(f"CREATE USER leak_user WITH PASSWORD '{duplicate}'")
        self.execute("SELECT 1", user="dba")

    def vault(self) -> None:
        realm_pw, wrong = fresh("realm-password"), fresh("wrong-vault-password")
        self.secrets.add(realm_pw, "a realm password")
        self.secrets.add(wrong, "a wrong vault password")
        self.execute("CREATE TABLE leak_secret (id INTEGER, v TEXT)",
                     "INSERT INTO leak_secret VALUES (1, 'classified')")
        self.execute(f"CREATE REALM leak_realm REQUIRE VAULT PASSWORD '{realm_pw}'",
                     "ALTER REALM leak_realm ADD TABLE leak_secret", user="secadmin")
        self.expect_error(f"UNLOCK REALM leak_realm PASSWORD '{wrong}'")
        self.expect_error(f"UNLOCK REALM leak_realm PASSWORD {wrong.replace('-', '_')}")
        (_, _, temp_pw, _, _), = self.execute(
            "GRANT VAULT PASSWORD ON REALM leak_realm TO dba VALID FOR INTERVAL '1 hour'",
            user="secadmin")
        self.secrets.add(temp_pw, "a temporary vault password")
        token = self.execute(f"UNLOCK REALM leak_realm PASSWORD '{temp_pw}'")[0][1]
        self.secrets.add(token, "a vault token")
        realm_token = self.execute(f"UNLOCK REALM leak_realm PASSWORD '{realm_pw}'")[0][1]
        self.secrets.add(realm_token, "a vault token")
        kinds = [k for k, _ in self.extended_query(
            "dba", f"UNLOCK REALM leak_realm TOKEN '{token}'")]
        self.assertNotIn("E", kinds)
        self.expect_error(f"UNLOCK REALM leak_realm TOKEN '{token}x'")
        self.expect_error(f"UNLOCK REALM leak_realm TOKEN '{token}'", user="secadmin")
        self.expect_error("SELECT * FROM leak_secret")  # a locked session: the realm, no secret

    def test_no_secret_in_logs_files_or_errors(self):
        self.logins()
        self.accounts()
        if self.kind == "dbvault":
            self.vault()
        self.assertEqual(self.server.stop(), 0, "the server did not exit 0 on SIGTERM")
        files = self.server.files_to_scan()
        self.assertTrue(any(p == self.server.log_path for p in files))
        leaks = find_leaks(self.secrets, files)
        self.assertEqual(leaks, [], f"{len(self.secrets)} secrets, {len(files)} files")


if __name__ == "__main__":
    client_case.main()
