"""Attack: the planted body (a trojan horse). The DBA cannot unlock the realm, so it writes
code that runs when someone who did unlock it uses the DBA's objects, and copies the realm's
rows into a table the DBA can read:
- a trigger on a table the victim writes to (the trigger function runs as the victim);
- a view that calls a function of the DBA's (functions in a view run as the reader);
- a SECURITY DEFINER function the victim calls;
- a rule on a table the victim writes to (its actions run with the table owner's rights);
- a view over the realm table (it reads with its owner's rights).
docs/vault.md §2.2: an access made inside a body must also pass the realm check for the
body's creator, with standing authorizations only (never the caller's unlock).
The victim `alice` is a vault user with the realm's password; the attacker is `dba`.
"""

import secrets

import psycopg2

from pgext_cluster import PgextCase, generate_password, main

MARKER = "mk_" + secrets.token_hex(8)
PASSWORD = "bodies-pw-" + secrets.token_hex(4)


class PlantedBodies(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE secret (id int, v text);
        INSERT INTO secret VALUES (1, '{MARKER}');
        CREATE TABLE loot (v text);
        GRANT SELECT, INSERT ON loot TO PUBLIC;
        CREATE TABLE feedback (note text);
        GRANT INSERT ON feedback TO PUBLIC;
        CREATE FUNCTION copy_secret() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO loot SELECT v FROM secret; RETURN NEW; END $$;
        CREATE TRIGGER steal AFTER INSERT ON feedback FOR EACH ROW EXECUTE FUNCTION copy_secret();
        CREATE FUNCTION grab() RETURNS int LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO loot SELECT v FROM secret; RETURN 1; END $$;
        CREATE VIEW news AS SELECT grab() AS headline;
        GRANT SELECT ON news TO PUBLIC;
        CREATE FUNCTION peek() RETURNS text LANGUAGE sql SECURITY DEFINER AS
          $$ SELECT v FROM secret $$;
        CREATE TABLE comments (note text);
        GRANT INSERT ON comments TO PUBLIC;
        CREATE RULE also_copy AS ON INSERT TO comments DO ALSO INSERT INTO loot SELECT v FROM secret;
        CREATE VIEW secret_view AS SELECT v FROM secret;
        GRANT SELECT ON secret_view TO PUBLIC;
        GRANT SELECT ON secret TO alice;
    """
    REALM = (
        f"CREATE REALM vr REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM vr ADD TABLE secret",
    )

    @classmethod
    def setUpClass(cls) -> None:
        # alice: a PostgreSQL login and a vault user of the same name (made by the account
        # manager, dba); the tables are made before the realm (OWNER_SQL runs as a role the
        # vault does not know).
        cls._alice = generate_password("alice")
        original = cls.OWNER_SQL
        cls.OWNER_SQL = ""
        super().setUpClass()
        cls.OWNER_SQL = original
        cls.server.passwords["alice"] = cls._alice
        cls.server.psql_admin("postgres", f"CREATE ROLE alice LOGIN PASSWORD '{cls._alice}'")
        cls.server.psql_admin(cls.server.dbname, "SET ROLE dba;\n" + original)
        for user, statements in (("dba", (f"CREATE USER alice PASSWORD '{cls._alice}'",)),
                                 ("secadmin", cls.REALM)):
            with psycopg2.connect(**cls.server.conninfo(user)) as connection:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute("SELECT * FROM dbvault.execute(%s)", (statement,))
            connection.close()

    def alice(self):
        """alice's connection, with the realm unlocked."""
        alice = self.connect("alice")
        self.query(alice, "SELECT token FROM dbvault.unlock_realm('vr', %s)", (PASSWORD,))
        return alice

    def loot(self) -> list[tuple]:
        return self.query(self.connect("dba"), "SELECT v FROM loot")

    def test_alice_reads_the_realm_after_unlocking(self):
        self.assertEqual(self.query(self.alice(), "SELECT v FROM secret"), [(MARKER,)])

    def test_dba_is_locked_out(self):
        self.assert_sqlstate("42501", self.connect("dba"), "SELECT v FROM secret")

    def test_planted_trigger_copies_nothing(self):
        self.assert_sqlstate("42501", self.alice(), "INSERT INTO feedback VALUES ('hello')",
                             message="dba")
        self.assertEqual(self.loot(), [])

    def test_planted_rule_copies_nothing(self):
        # A rule's actions run with the rights of its table's owner (the DBA).
        self.assert_sqlstate("42501", self.alice(), "INSERT INTO comments VALUES ('hello')",
                             message="dba")
        self.assertEqual(self.loot(), [])

    def test_function_in_a_view_copies_nothing(self):
        self.assert_sqlstate("42501", self.alice(), "SELECT * FROM news", message="dba")
        self.assertEqual(self.loot(), [])

    def test_security_definer_function_lends_nothing(self):
        self.assert_sqlstate("42501", self.alice(), "SELECT peek()", message="dba")

    def test_view_of_the_dba_lends_nothing(self):
        self.assert_sqlstate("42501", self.alice(), "SELECT v FROM secret_view", message="dba")

    def test_alice_own_function_still_works(self):
        alice = self.alice()
        self.query(alice, "CREATE FUNCTION pg_temp.mine() RETURNS text LANGUAGE plpgsql AS "
                   "$$ BEGIN RETURN (SELECT v FROM secret); END $$")
        self.assertEqual(self.query(alice, "SELECT pg_temp.mine()"), [(MARKER,)])

    def test_body_of_a_shared_role_lends_nothing(self):
        # A role alice is a member of is not alice: another member (the DBA) wrote the body.
        self.server.psql_admin(self.server.dbname, "DO $$ BEGIN CREATE ROLE team; "
                               "EXCEPTION WHEN duplicate_object THEN NULL; END $$; "
                               "GRANT team TO alice, dba; "
                               "GRANT CREATE ON SCHEMA public TO team")
        owner = self.connect("dba")  # a GRANT on a realm table needs the realm
        self.query(owner, "SELECT token FROM dbvault.unlock_realm('vr', %s)", (PASSWORD,))
        self.query(owner, "GRANT SELECT ON secret TO team")
        self.server.psql_admin(self.server.dbname, "SET ROLE team; CREATE OR REPLACE FUNCTION "
                               "team_peek() RETURNS text LANGUAGE plpgsql AS "
                               "$$ BEGIN RETURN (SELECT v FROM secret LIMIT 1); END $$")
        self.assert_sqlstate("42501", self.alice(), "SELECT team_peek()", message="team")

    def test_the_trigger_works_on_a_table_outside_the_realm(self):
        # The owner check refuses only what the owner could not do: a body of the DBA's that
        # touches no realm table keeps working for alice.
        dba = self.connect("dba")
        self.query(dba, "CREATE TABLE IF NOT EXISTS plain_log (n int); "
                   "GRANT INSERT ON plain_log TO PUBLIC; "
                   "CREATE OR REPLACE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN INSERT INTO plain_log VALUES (1); RETURN NEW; END $$; "
                   "CREATE TABLE IF NOT EXISTS visits (n int); GRANT INSERT ON visits TO PUBLIC; "
                   "CREATE OR REPLACE TRIGGER log_visit AFTER INSERT ON visits FOR EACH ROW "
                   "EXECUTE FUNCTION log_it()")
        self.query(self.alice(), "INSERT INTO visits VALUES (1)")
        self.assertGreaterEqual(self.query(dba, "SELECT count(*) FROM plain_log")[0][0], 1)


if __name__ == "__main__":
    main()
