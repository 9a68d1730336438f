"""Utility statements on realm objects inside PostgreSQL 15 (ProcessUtility_hook): DDL,
TRUNCATE and GRANT need the realm (and pass its command rules) like DML does; COPY TO is an
EXPORT with a durable data_export record; renames and SET SCHEMA of realm objects are refused
(membership is by name); LOAD, COPY PROGRAM and ALTER SYSTEM of the module's settings are
refused for everyone, superusers included."""

import io

import pgext_cluster

PASSWORD = "vault_pw_Util1"
LOCKED = "realm pii_protection is locked"


class UtilityStatements(pgext_cluster.PgextCase):
    OWNER_SQL = """
        CREATE TABLE users (id int, name text, ssn text);
        INSERT INTO users VALUES (1, 'ann', '123-45-6789');
        CREATE TABLE cards (id int, number text);
        CREATE TABLE orders (id int, item text);
        INSERT INTO orders VALUES (1, 'book');
    """
    VAULT_SETUP = (f"CREATE REALM pii_protection REQUIRE VAULT PASSWORD '{PASSWORD}'",
                   "ALTER REALM pii_protection ADD TABLE users, COLUMN cards.number")

    def setUp(self) -> None:
        self.dba = self.connect("dba")

    def test_ddl_on_a_locked_realm_table_is_refused(self):
        for sql in ("ALTER TABLE users ADD COLUMN extra int",
                    "CREATE INDEX users_ssn ON users (ssn)",
                    "CREATE TRIGGER t AFTER INSERT ON users FOR EACH ROW "
                    "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
                    "CREATE RULE r AS ON INSERT TO users DO ALSO NOTHING",
                    "CREATE POLICY p ON users USING (true)",
                    "TRUNCATE users",
                    "DROP TABLE users"):
            with self.subTest(sql=sql):
                self.assert_sqlstate("42501", self.dba, sql, message=LOCKED)
        self.assertIn("users", self.psql("dba", r"\dt").stdout)  # still there

    def test_a_grant_on_a_realm_table_needs_the_realm(self):
        # As in the embedded server (docs/vault.md §2): who may touch a realm table is the
        # realm's business, so GRANT and REVOKE on it need a session the realm admits.
        for sql in ("GRANT SELECT ON users TO app", "REVOKE SELECT ON users FROM app"):
            with self.subTest(sql=sql):
                self.assert_sqlstate("42501", self.dba, sql, message=LOCKED)
        other = self.connect("dba")
        self.query(other, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                   ("pii_protection", PASSWORD))
        self.query(other, "GRANT SELECT ON users TO app")
        self.query(other, "REVOKE SELECT ON users FROM app")

    def test_ddl_on_other_tables_is_postgresqls_business(self):
        self.query(self.dba, "CREATE TABLE scratch (id int)")
        self.query(self.dba, "ALTER TABLE scratch ADD COLUMN x int")
        self.query(self.dba, "GRANT SELECT ON scratch TO app")
        self.query(self.dba, "TRUNCATE scratch")
        self.query(self.dba, "DROP TABLE scratch")

    def test_renames_and_set_schema_of_realm_objects_are_refused(self):
        self.query(self.dba, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                   ("pii_protection", PASSWORD))
        for sql in ("ALTER TABLE users RENAME TO people",
                    "ALTER TABLE users RENAME COLUMN ssn TO tax_id",
                    "ALTER TABLE cards RENAME TO cards2",
                    "ALTER TABLE cards RENAME COLUMN number TO pan",
                    "CREATE SCHEMA IF NOT EXISTS elsewhere; ALTER TABLE users SET SCHEMA elsewhere"):
            with self.subTest(sql=sql):
                self.assert_sqlstate("42501", self.dba, sql,
                                     message="is in realm pii_protection and cannot be renamed")
        self.query(self.dba, "ALTER TABLE cards RENAME COLUMN id TO card_id")  # not in a realm
        self.query(self.dba, "ALTER TABLE cards RENAME COLUMN card_id TO id")

    def test_copy_to_is_an_audited_export(self):
        self.assert_sqlstate("42501", self.dba, "COPY users TO STDOUT", message=LOCKED)
        other = self.connect("dba")
        self.query(other, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                   ("pii_protection", PASSWORD))
        with other.cursor() as c:
            out = io.StringIO()
            c.copy_expert("COPY users (name) TO STDOUT", out)
            self.assertEqual(out.getvalue(), "ann\n")
            out = io.StringIO()
            c.copy_expert("COPY orders TO STDOUT", out)
        exports = self.query(self.connect("auditor"),
                             "SELECT detail->>'object', detail->>'method' FROM dbvault.audit_log "
                             "WHERE event_type = 'data_export' ORDER BY seq")
        self.assertEqual(exports[-2:], [("public.users", "COPY TO"), ("public.orders", "COPY TO")])

    def test_vault_side_accounts_cannot_create_or_grant(self):
        for user in ("secadmin", "auditor"):
            connection = self.connect(user)
            for sql in ("CREATE TABLE mine (id int)", "GRANT SELECT ON orders TO app",
                        "CREATE ROLE helper", "CREATE VIEW v AS SELECT 1"):
                with self.subTest(user=user, sql=sql):
                    self.assert_sqlstate("42501", connection, sql,
                                         message="separation of duties")
        violations = self.query(self.connect("auditor"),
                                "SELECT detail->>'command' FROM dbvault.audit_log "
                                "WHERE event_type = 'sod_violation' AND \"user\" = 'secadmin'")
        self.assertIn(("CREATE TABLE",), violations)

    def test_refused_for_everyone(self):
        admin = self.server.psql_admin
        for sql, what in (("LOAD 'auto_explain'", "LOAD"),
                          ("COPY orders TO PROGRAM 'cat'", "COPY ... PROGRAM"),
                          ("ALTER SYSTEM SET dbvault.policy_path = '/tmp/x'", "ALTER SYSTEM"),
                          ("ALTER SYSTEM SET shared_preload_libraries = ''", "ALTER SYSTEM"),
                          ("ALTER SYSTEM RESET ALL", "ALTER SYSTEM"),
                          ("SELECT pg_read_file('dbvault/keys/master.key')", "pg_read_file"),
                          ("SELECT pg_read_binary_file('dbvault/policy.db')",
                           "pg_read_binary_file"),
                          ("SELECT * FROM pg_ls_dir('dbvault')", "pg_ls_dir"),
                          ("SELECT pg_stat_file('dbvault/policy.db')", "pg_stat_file"),
                          ("SELECT lo_import('/etc/hostname')", "lo_import"),
                          ("CREATE FUNCTION peek() RETURNS text LANGUAGE sql "
                           "AS $$ SELECT pg_read_file('postgresql.conf') $$; SELECT peek()",
                           "pg_read_file")):
            with self.subTest(sql=sql):
                with self.assertRaises(pgext_cluster.harness.ServerError) as caught:
                    admin(self.server.dbname, sql)  # as the postgres superuser
                self.assertIn(f"dbvault: {what}", str(caught.exception))
        admin(self.server.dbname, "SELECT pg_ls_waldir()")  # not a file-reading function
        admin(self.server.dbname, "ALTER SYSTEM SET work_mem = '8MB'")
        admin(self.server.dbname, "ALTER SYSTEM RESET work_mem")


if __name__ == "__main__":
    pgext_cluster.main()
