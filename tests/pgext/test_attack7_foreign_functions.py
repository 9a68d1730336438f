"""Attack: realm values handed to a function of another role that the realm does not admit.

alice unlocked the realm; the DBA (not admitted) owns functions that store their arguments
in its table `loot`. The body check refuses what such a function *reads*; here it reads
nothing, it is handed the values:
- a security-invoker view of the DBA's that applies stash(v) to the realm column (the view
  reads with alice's rights);
- an operator of the DBA's (FUNCTION = stash_eq) in alice's own query;
- a cast of the DBA's type, applied to the realm column;
- a trigger on the realm table with a function of the DBA's, planted before the realm was
  made, getting NEW — for an ordinary and a deferred constraint trigger (fired at COMMIT).
Each must be refused (42501, naming the DBA) and leave `loot` empty; alice's own functions,
built-in ones, and the DBA's functions on tables outside the realm keep working.
"""

import secrets

import psycopg2

from pgext_cluster import PgextCase, generate_password, main

MARKER = "mk_" + secrets.token_hex(8)
PASSWORD = "foreign-pw-" + secrets.token_hex(4)


class ForeignFunctions(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE loot (v text);
        GRANT INSERT, SELECT ON loot TO PUBLIC;
        CREATE TABLE secret (id int, v text);
        INSERT INTO secret VALUES (1, '{MARKER}');
        CREATE TABLE diary (id int, v text);
        GRANT SELECT, INSERT ON secret, diary TO alice;
        CREATE FUNCTION stash(text) RETURNS text LANGUAGE plpgsql AS
          $$ BEGIN INSERT INTO loot VALUES ($1); RETURN $1; END $$;
        CREATE FUNCTION stash_eq(text, text) RETURNS bool LANGUAGE plpgsql AS
          $$ BEGIN INSERT INTO loot VALUES ($1); RETURN $1 = $2; END $$;
        CREATE OPERATOR =~= (FUNCTION = stash_eq, LEFTARG = text, RIGHTARG = text);
        CREATE VIEW news WITH (security_invoker = true) AS SELECT id, stash(v) AS v FROM secret;
        GRANT SELECT ON news TO alice;
        CREATE TYPE label AS (v text);
        CREATE FUNCTION to_label(text) RETURNS label LANGUAGE plpgsql AS
          $$ BEGIN INSERT INTO loot VALUES ($1); RETURN ROW($1)::label; END $$;
        CREATE CAST (text AS label) WITH FUNCTION to_label(text);
        CREATE FUNCTION copy_new() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN INSERT INTO loot VALUES (NEW.v); RETURN NEW; END $$;
        CREATE TABLE inbox (id int, v text);
        GRANT INSERT ON inbox TO alice;
        CREATE TRIGGER copy_inbox BEFORE INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION copy_new();
        CREATE TABLE outbox (id int, v text);
        GRANT INSERT ON outbox TO alice;
        CREATE CONSTRAINT TRIGGER copy_outbox AFTER INSERT ON outbox DEFERRABLE INITIALLY
          DEFERRED FOR EACH ROW EXECUTE FUNCTION copy_new();
        CREATE TABLE plain (v text);
        INSERT INTO plain VALUES ('public');
        GRANT SELECT ON plain TO alice;
        CREATE FUNCTION shout(text) RETURNS text LANGUAGE sql AS $$ SELECT upper($1) $$;
    """
    VAULT_SETUP = (
        f"CREATE REALM fr REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM fr ADD TABLE secret, TABLE inbox, TABLE outbox",
    )

    @classmethod
    def setUpClass(cls) -> None:
        owner_sql, setup = cls.OWNER_SQL, cls.VAULT_SETUP
        cls.OWNER_SQL, cls.VAULT_SETUP = "", ()
        super().setUpClass()
        cls.OWNER_SQL, cls.VAULT_SETUP = owner_sql, setup
        server = cls.server
        server.passwords["alice"] = generate_password("alice")
        server.psql_admin("postgres", "CREATE ROLE alice LOGIN PASSWORD "
                          f"'{server.passwords['alice']}'", quiet=True)
        server.psql_admin(server.dbname, "SET ROLE dba;\n" + owner_sql)
        for user, statements in (
                ("dba", (f"CREATE USER alice PASSWORD '{server.passwords['alice']}'",)),
                ("secadmin", setup)):
            with psycopg2.connect(**server.conninfo(user)) as connection:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute("SELECT * FROM dbvault.execute(%s)", (statement,))
            connection.close()

    def alice(self):
        alice = self.connect("alice")
        self.query(alice, "SELECT token FROM dbvault.unlock_realm('fr', %s)", (PASSWORD,))
        return alice

    def loot(self) -> list[tuple]:
        return self.query(self.connect("dba"), "SELECT v FROM loot WHERE v LIKE 'mk_%'")

    def test_security_invoker_view_is_refused(self):
        self.assert_sqlstate("42501", self.alice(), "SELECT * FROM news", message="dba")
        self.assertEqual(self.loot(), [])

    def test_operator_of_another_role_is_refused(self):
        self.assert_sqlstate("42501", self.alice(), "SELECT id FROM secret WHERE v =~= 'x'",
                             message="dba")
        self.assertEqual(self.loot(), [])

    def test_cast_of_another_role_is_refused(self):
        self.assert_sqlstate("42501", self.alice(), "SELECT v::label FROM secret",
                             message="dba")
        self.assertEqual(self.loot(), [])

    def test_planted_trigger_is_refused(self):
        alice = self.alice()
        self.assert_sqlstate("42501", alice, "INSERT INTO inbox VALUES (1, %s)", (MARKER,),
                             message="dba")
        alice.autocommit = False
        with self.assertRaises(psycopg2.Error) as caught:
            self.query(alice, "INSERT INTO outbox VALUES (1, %s)", (MARKER,))
            alice.commit()
        self.assertEqual(caught.exception.pgcode, "42501")
        alice.rollback()
        self.assertEqual(self.loot(), [])

    def test_own_and_builtin_functions_keep_working(self):
        alice = self.alice()
        self.assertEqual(self.query(alice, "SELECT upper(v) = upper(%s) FROM secret", (MARKER,)),
                         [(True,)])
        self.query(alice, "CREATE FUNCTION pg_temp.mine(text) RETURNS text LANGUAGE plpgsql AS "
                   "$$ BEGIN RETURN lower($1); END $$")
        self.assertEqual(self.query(alice, "SELECT pg_temp.mine(v) FROM secret"), [(MARKER,)])
        self.assertEqual(self.query(alice, "SELECT shout(v) FROM plain"), [("PUBLIC",)])
        self.query(alice, "INSERT INTO diary VALUES (1, 'x')")


if __name__ == "__main__":
    main()
