"""Attack: read a realm column from the DETAIL of a deferred constraint's error at COMMIT.

As in test_attack_error_details.py, the realm covers users.ssn only, so the DBA may update
the other columns; the unique key (name, ssn) is DEFERRABLE
INITIALLY DEFERRED, so the violation is found at COMMIT (or at SET CONSTRAINTS ...
IMMEDIATE), after the statement that wrote the row: "Key (name, ssn)=(bob, SSN-...) already
exists". The module hides a row's values from the DETAIL while the statement that wrote them
runs; the deferred error comes later, in another statement. Checked: the client's message
and the server log.
"""

import secrets
from pathlib import Path

import psycopg2

from pgext_cluster import PgextCase, main

SSN = "SSN-" + secrets.token_hex(5)
PASSWORD = "deferred-pw-" + secrets.token_hex(4)


class DeferredErrors(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, ssn text,
            CONSTRAINT users_name_ssn UNIQUE (name, ssn) DEFERRABLE INITIALLY DEFERRED);
        INSERT INTO users VALUES (1, 'ann', '{SSN}'), (2, 'bob', '{SSN}');
    """
    VAULT_SETUP = (
        f"CREATE REALM dr REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM dr ADD COLUMN users.ssn",
    )

    def failed_commit(self, connection, statements: list[str], sqlstate: str) -> str:
        """Runs `statements` in one transaction; the commit (or the last one) fails."""
        connection.autocommit = False
        with self.assertRaises(psycopg2.Error) as caught:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
            connection.commit()
        connection.rollback()
        connection.autocommit = True
        error = caught.exception
        self.assertEqual(error.pgcode, sqlstate, str(error))
        return (error.diag.message_detail or "") + str(error)

    def log_text(self) -> str:
        return Path(self.server.log_path).read_text(errors="replace")

    def test_unique_key_at_commit_hides_the_key(self):
        text = self.failed_commit(self.connect("dba"),
                                  ["UPDATE users SET name = 'bob' WHERE id = 1"], "23505")
        self.assertNotIn(SSN, text)
        self.assertNotIn(SSN, self.log_text())

    def test_set_constraints_immediate_hides_the_key(self):
        text = self.failed_commit(self.connect("dba"),
                                  ["UPDATE users SET name = 'bob' WHERE id = 1",
                                   "SET CONSTRAINTS ALL IMMEDIATE"], "23505")
        self.assertNotIn(SSN, text)
        self.assertNotIn(SSN, self.log_text())

    def test_unlocked_session_sees_the_details(self):
        # Last in name order: its detail (with the secret) goes to the server log too.
        dba = self.connect("dba")
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('dr', %s)", (PASSWORD,))
        text = self.failed_commit(dba, ["UPDATE users SET name = 'bob' WHERE id = 1"], "23505")
        self.assertIn(SSN, text)


if __name__ == "__main__":
    main()
