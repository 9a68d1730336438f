"""Attack: read a realm column from the DETAIL of a constraint violation.

With a realm on users.ssn only, the DBA may still write the table's other columns. When the
row it writes breaks a constraint, PostgreSQL describes the row in the error's DETAIL — every
column the role may read by its privileges, which for the table's owner is all of them:
"Failing row contains (1, null, SSN-...)" (NOT NULL, CHECK), "Key (name, ssn)=(bob, SSN-...)
already exists" (a unique index over a realm column). The vault's realm is not a PostgreSQL
privilege, so the module must keep those values out of the detail.
"""

import secrets

from pgext_cluster import PgextCase, main

SSN = "SSN-" + secrets.token_hex(5)
PASSWORD = "details-pw-" + secrets.token_hex(4)


class ErrorDetails(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, ssn text,
                            CHECK (length(name) < 20));
        CREATE UNIQUE INDEX users_name_ssn ON users (name, ssn);
        INSERT INTO users VALUES (1, 'ann', '{SSN}'), (2, 'bob', '{SSN}');
        CREATE TABLE plain (id int PRIMARY KEY, note text NOT NULL);
        INSERT INTO plain VALUES (1, 'note');
    """
    VAULT_SETUP = (
        f"CREATE REALM cr REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM cr ADD COLUMN users.ssn",
    )

    def detail(self, connection, sql: str, sqlstate: str) -> str:
        error = self.assert_sqlstate(sqlstate, connection, sql)
        return (error.diag.message_detail or "") + str(error)

    def test_realm_column_is_locked(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "SELECT ssn FROM users")
        self.assertEqual(self.query(dba, "SELECT name FROM users ORDER BY id"),
                         [("ann",), ("bob",)])

    def test_not_null_violation_hides_the_row(self):
        text = self.detail(self.connect("dba"), "UPDATE users SET name = NULL WHERE id = 1",
                           "23502")
        self.assertNotIn(SSN, text)
        self.assertIn("dbvault", text)

    def test_check_violation_hides_the_row(self):
        text = self.detail(self.connect("dba"),
                           "UPDATE users SET name = repeat('x', 30) WHERE id = 1", "23514")
        self.assertNotIn(SSN, text)

    def test_unique_violation_hides_the_key(self):
        text = self.detail(self.connect("dba"), "UPDATE users SET name = 'bob' WHERE id = 1",
                           "23505")
        self.assertNotIn(SSN, text)

    def test_unlocked_session_sees_the_details(self):
        dba = self.connect("dba")
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('cr', %s)", (PASSWORD,))
        text = self.detail(dba, "UPDATE users SET name = NULL WHERE id = 1", "23502")
        self.assertIn(SSN, text)

    def test_table_outside_realms_keeps_its_details(self):
        text = self.detail(self.connect("dba"), "UPDATE plain SET note = NULL", "23502")
        self.assertIn("Failing row contains (1, null)", text)


if __name__ == "__main__":
    main()
