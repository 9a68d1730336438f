"""The design document's first scenario inside PostgreSQL 15: a realm locked for the DBA,
unlocked with the realm password, and with a token from another connection; a policy change
reaching a backend that is already open; non-realm tables and the catalogs untouched."""

import pgext_cluster

PASSWORD = "vault_pw_Realm1"


class RealmScenario(pgext_cluster.PgextCase):
    def setUp(self) -> None:
        self.dba = self.connect("dba")
        self.secadmin = self.connect("secadmin")
        if not self.query(self.dba, "SELECT to_regclass('public.users') IS NOT NULL")[0][0]:
            self.query(self.dba, "CREATE TABLE users (id int, name text, ssn text)")
            self.query(self.dba, "INSERT INTO users VALUES (1, 'ann', '123-45-6789')")
            self.query(self.dba, "CREATE TABLE orders (id int, item text)")
            self.query(self.dba, "INSERT INTO orders VALUES (1, 'book')")
            self.query(self.dba, "GRANT SELECT ON users, orders TO app")
            self.vault(self.secadmin, f"CREATE REALM pii_protection REQUIRE VAULT PASSWORD "
                                      f"'{PASSWORD}'")
            self.vault(self.secadmin, "ALTER REALM pii_protection ADD TABLE users")

    def test_execute_returns_the_statement_tag(self):
        rows = self.vault(self.secadmin, "CREATE REALM scratch")
        self.assertEqual(rows, [("CREATE REALM", None)])

    def test_syntax_error_is_42601(self):
        self.assert_sqlstate("42601", self.secadmin,
                             "SELECT * FROM dbvault.execute('UNLOCK REALM pii PASSWORD')")

    def test_separation_of_duties_dba_cannot_create_realms(self):
        self.assert_sqlstate("42501", self.dba,
                             "SELECT * FROM dbvault.execute('CREATE REALM dba_realm')")

    def test_realm_table_is_locked_for_the_dba(self):
        self.assert_sqlstate("42501", self.dba, "SELECT * FROM users",
                             message="realm pii_protection is locked")

    def test_column_and_count_reads_are_locked_too(self):
        self.assert_sqlstate("42501", self.dba, "SELECT count(*) FROM users")
        self.assert_sqlstate("42501", self.dba, "SELECT name FROM public.users WHERE id = 1")
        self.assert_sqlstate("42501", self.dba, "UPDATE users SET name = 'x'")
        self.assert_sqlstate("42501", self.dba, "DELETE FROM users")
        self.assert_sqlstate("42501", self.dba, "INSERT INTO users VALUES (2, 'bo', '1')")

    def test_other_tables_and_catalogs_stay_usable(self):
        self.assertEqual(self.query(self.dba, "SELECT item FROM orders"), [("book",)])
        self.assertTrue(self.query(self.dba, "SELECT relname FROM pg_class LIMIT 1"))
        # psql's \d reads only catalogs.
        self.assertIn("users", self.psql("dba", r"\dt").stdout)

    def test_unlock_with_password_then_rows(self):
        rows = self.query(self.dba, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                          ("pii_protection", PASSWORD))
        realm, token, token_id, expires_at = rows[0]
        self.assertEqual(realm, "pii_protection")
        self.assertTrue(token.startswith("dbvt") and token_id.startswith("vt_"), rows)
        self.assertEqual(self.query(self.dba, "SELECT ssn FROM users"), [("123-45-6789",)])
        self.assertEqual(self.query(self.dba, "SELECT dbvault.lock_realm('pii_protection')"),
                         [("LOCK REALM",)])
        self.assert_sqlstate("42501", self.dba, "SELECT * FROM users")

    def test_explain_shows_the_checks_without_running(self):
        rows = self.query(self.dba, "SELECT * FROM dbvault.explain('SELECT ssn FROM users')")
        self.assertIn(("main.users", "realm pii_protection", "DENY",
                       "realm requires a vault password and is locked"), rows)
        self.assertFalse([r for r in rows if r[1].startswith("privilege")], rows)
        self.assert_sqlstate("0A000", self.dba, "SELECT * FROM dbvault.explain('VACUUM')")
        self.assert_sqlstate("42601", self.dba, "SELECT * FROM dbvault.explain('SELECT 1; SELECT 2')")

    def test_wrong_password_is_28P01(self):
        self.assert_sqlstate("28P01", self.dba, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                             ("pii_protection", "wrong"))

    def test_token_unlocks_another_connection_of_the_same_user(self):
        token = self.query(self.dba, "SELECT token FROM dbvault.unlock_realm(%s, %s)",
                           ("pii_protection", PASSWORD))[0][0]
        other = self.connect("dba")
        self.assert_sqlstate("42501", other, "SELECT * FROM users")
        self.query(other, "SELECT * FROM dbvault.unlock_realm_with_token(%s, %s)",
                   ("pii_protection", token))
        self.assertEqual(self.query(other, "SELECT id FROM users"), [(1,)])
        # ...but not a connection of another user.
        self.assert_sqlstate("28P01", self.secadmin,
                             "SELECT * FROM dbvault.unlock_realm_with_token(%s, %s)",
                             ("pii_protection", token))

    def test_unlock_over_psql(self):
        out = self.psql("dba", "SELECT token_id FROM dbvault.unlock_realm('pii_protection', "
                               f"'{PASSWORD}'); SELECT name FROM users").stdout.split()
        self.assertTrue(out[0].startswith("vt_"), out)
        self.assertEqual(out[1], "ann")
        locked = self.psql("dba", "SELECT name FROM users", check=False)
        self.assertNotEqual(locked.returncode, 0)
        self.assertIn("realm pii_protection is locked", locked.stderr)

    def test_policy_change_reaches_an_open_backend(self):
        self.assertEqual(self.query(self.dba, "SELECT item FROM orders"), [("book",)])
        self.vault(self.secadmin, "CREATE REALM orders_realm REQUIRE VAULT PASSWORD 'pw_o_1'")
        self.vault(self.secadmin, "ALTER REALM orders_realm ADD TABLE orders")
        try:
            self.assert_sqlstate("42501", self.dba, "SELECT item FROM orders",
                                 message="orders_realm")
        finally:
            self.vault(self.secadmin, "DROP REALM orders_realm")
        self.assertEqual(self.query(self.dba, "SELECT item FROM orders"), [("book",)])

    def test_a_role_the_vault_does_not_know_is_refused_by_the_realm(self):
        app = self.connect("app")
        self.assertEqual(self.query(app, "SELECT item FROM orders"), [("book",)])
        self.assert_sqlstate("42501", app, "SELECT * FROM users")


if __name__ == "__main__":
    pgext_cluster.main()
