"""Bypass attempts on a realm table inside PostgreSQL 15 (issue 12): each is refused with
42501, because every range table the executor checks is checked against the backend's
authenticated user's vault session, never against the role a view, function, trigger or
rule runs as. The owner of every object here is `dba`, who holds PostgreSQL privileges on
everything; `app` is granted what it needs in PostgreSQL but is not admitted by the realm."""

import subprocess

import pgext_cluster
from harness.postgres_server import PG_BINDIR

PASSWORD = "vault_pw_Bypass1"
LOCKED = "realm pii_protection is locked"


class Bypass(pgext_cluster.PgextCase):
    # Objects made by dba (as its own role), the realm by secadmin (the vault session is the
    # authenticated user's).
    OWNER_SQL = """
        CREATE TABLE users (id int, name text, ssn text);
        INSERT INTO users VALUES (1, 'ann', '123-45-6789');
        CREATE TABLE notes (id int, body text);
        CREATE TABLE sink (ssn text);
        CREATE VIEW users_view AS SELECT name, ssn FROM users;
        CREATE FUNCTION definer_ssn() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER
          AS 'SELECT ssn FROM users';
        CREATE FUNCTION dynamic_ssn() RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
          AS $$ BEGIN RETURN QUERY EXECUTE 'SELECT ssn FROM ' || 'users'; END $$;
        CREATE FUNCTION copy_ssn() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
          AS $$ BEGIN INSERT INTO sink SELECT ssn FROM users; RETURN NEW; END $$;
        CREATE TRIGGER notes_copy AFTER INSERT ON notes FOR EACH ROW EXECUTE FUNCTION copy_ssn();
        CREATE TABLE ruled (id int);
        CREATE RULE ruled_leak AS ON INSERT TO ruled DO ALSO
          INSERT INTO sink SELECT ssn FROM users;
        GRANT SELECT ON users_view, sink TO app;
        GRANT INSERT ON notes, ruled TO app;
        GRANT CREATE ON SCHEMA public TO app;
    """
    VAULT_SETUP = (f"CREATE REALM pii_protection REQUIRE VAULT PASSWORD '{PASSWORD}'",
                   "ALTER REALM pii_protection ADD TABLE users")

    def setUp(self) -> None:
        self.app = self.connect("app")
        self.dba = self.connect("dba")

    def test_the_dba_owner_is_refused_directly(self):
        self.assert_sqlstate("42501", self.dba, "SELECT * FROM users", message=LOCKED)

    def test_view(self):
        self.assert_sqlstate("42501", self.app, "SELECT * FROM users_view", message=LOCKED)
        self.assert_sqlstate("42501", self.dba, "SELECT * FROM users_view", message=LOCKED)

    def test_security_definer_function(self):
        self.assert_sqlstate("42501", self.app, "SELECT * FROM definer_ssn()", message=LOCKED)

    def test_plpgsql_execute(self):
        self.assert_sqlstate("42501", self.app, "SELECT * FROM dynamic_ssn()", message=LOCKED)

    def test_trigger(self):
        self.assert_sqlstate("42501", self.app, "INSERT INTO notes VALUES (1, 'x')",
                             message=LOCKED)
        self.assertEqual(self.query(self.dba, "SELECT count(*) FROM sink"), [(0,)])

    def test_rule(self):
        self.assert_sqlstate("42501", self.app, "INSERT INTO ruled VALUES (1)", message=LOCKED)

    def test_create_table_as(self):
        self.assert_sqlstate("42501", self.dba, "CREATE TABLE stolen AS SELECT * FROM users",
                             message=LOCKED)
        self.assert_sqlstate("42501", self.dba, "SELECT * INTO stolen2 FROM users",
                             message=LOCKED)

    def test_copy_table_and_copy_query(self):
        self.assert_sqlstate("42501", self.dba, "COPY users TO STDOUT", message=LOCKED)
        self.assert_sqlstate("42501", self.dba, "COPY (SELECT ssn FROM users) TO STDOUT",
                             message=LOCKED)
        self.assert_sqlstate("42501", self.dba, "COPY users FROM STDIN", message=LOCKED)

    def test_prepared_before_the_lock(self):
        self.query(self.dba, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                   ("pii_protection", PASSWORD))
        self.query(self.dba, "PREPARE read_ssn AS SELECT ssn FROM users")
        self.assertEqual(self.query(self.dba, "EXECUTE read_ssn"), [("123-45-6789",)])
        self.query(self.dba, "SELECT dbvault.lock_realm('pii_protection')")
        self.assert_sqlstate("42501", self.dba, "EXECUTE read_ssn", message=LOCKED)

    def test_unlocked_owner_lends_nothing_to_a_view_reader(self):
        # dba unlocks in its own session; app reading dba's view is still refused.
        self.query(self.dba, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                   ("pii_protection", PASSWORD))
        self.assertEqual(self.query(self.dba, "SELECT name FROM users_view"), [("ann",)])
        self.assert_sqlstate("42501", self.app, "SELECT * FROM users_view", message=LOCKED)

    def test_pg_dump_of_the_realm_table_by_the_dba(self):
        result = subprocess.run([str(PG_BINDIR / "pg_dump"), "-t", "users"],
                                capture_output=True, text=True, timeout=60,
                                env=self.server.libpq_env("dba"))
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn(LOCKED, result.stderr)
        self.assertNotIn("123-45-6789", result.stdout)

    def test_column_statistics(self):
        self.query(self.dba, "ANALYZE users")  # the owner may analyse; it cannot read samples
        self.assert_sqlstate("42501", self.dba,
                             "SELECT most_common_vals FROM pg_stats WHERE tablename = 'users'",
                             message="pg_statistic")
        self.server.psql_admin(self.server.dbname, "SELECT 1")  # the catalogs otherwise work

    def test_renaming_or_dropping_the_schema(self):
        for sql in ("ALTER SCHEMA public RENAME TO elsewhere", "DROP SCHEMA public CASCADE"):
            with self.subTest(sql=sql):
                self.assert_sqlstate("42501", self.dba, sql, message="which is in a realm")
        self.query(self.dba, "CREATE SCHEMA scratch; ALTER SCHEMA scratch RENAME TO scratch2; "
                             "DROP SCHEMA scratch2")

    def test_drop_owned_and_reassign_owned(self):
        for sql in ("DROP OWNED BY dba", "REASSIGN OWNED BY dba TO app"):
            with self.subTest(sql=sql):
                self.assert_sqlstate("42501", self.dba, sql, message="while realms protect")
        self.assertIn("users", self.psql("dba", r"\dt").stdout)

    def test_a_subquery_and_a_cte(self):
        self.assert_sqlstate("42501", self.dba,
                             "SELECT (SELECT ssn FROM users LIMIT 1)", message=LOCKED)
        self.assert_sqlstate("42501", self.dba,
                             "WITH u AS (SELECT * FROM users) SELECT 1 FROM u", message=LOCKED)


if __name__ == "__main__":
    pgext_cluster.main()
