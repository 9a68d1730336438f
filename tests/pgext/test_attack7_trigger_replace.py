"""Attack: replace the function of a trigger on a realm table after the realm was set up.

The realm `tr` (no vault password: it admits whom it authorizes) holds `secret`, whose
trigger `stamp` calls `stamp_row()`, owned by `fowner` — a role the realm authorizes, so the
body check (the owner must be admitted) lets the trigger run for the writer `alice`. The DBA
is a member of `fowner` (so PostgreSQL lets it CREATE OR REPLACE the function) but is not
authorized by the realm. It replaces the body to copy NEW into its table `loot`; the next
row alice writes would land there. The same with ALTER FUNCTION (SECURITY DEFINER, SET) and
ALTER FUNCTION ... OWNER TO, and with a function a CHECK constraint of the realm table calls.
Each is refused (42501) while the session is not admitted; fowner itself (admitted) may
still replace its function.
"""

import secrets

import psycopg2

from pgext_cluster import PgextCase, generate_password, main

MARKER = "mk_" + secrets.token_hex(8)
USERS = ("alice", "fowner")


class TriggerReplace(PgextCase):
    OWNER_SQL = """
        CREATE TABLE loot (v text);
        GRANT INSERT, SELECT ON loot TO PUBLIC;
        CREATE TABLE plain (v text);
        GRANT INSERT ON plain TO PUBLIC;
    """
    FOWNER_SQL = """
        CREATE FUNCTION stamp_row() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RETURN NEW; END $$;
        CREATE FUNCTION short_enough(text) RETURNS bool LANGUAGE sql IMMUTABLE AS
          $$ SELECT length($1) < 100 $$;
        CREATE TABLE secret (v text CHECK (short_enough(v)));
        GRANT INSERT, SELECT ON secret TO alice;
        CREATE TRIGGER stamp BEFORE INSERT ON secret FOR EACH ROW EXECUTE FUNCTION stamp_row();
        CREATE FUNCTION plain_row() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER plain_stamp BEFORE INSERT ON public.plain FOR EACH ROW
          EXECUTE FUNCTION plain_row();
    """
    VAULT_SETUP = (
        "CREATE REALM tr",
        "ALTER REALM tr ADD TABLE secret",
        "ALTER REALM tr AUTHORIZE USER alice",
        "ALTER REALM tr AUTHORIZE USER fowner",
    )

    @classmethod
    def setUpClass(cls) -> None:
        setup = cls.VAULT_SETUP
        cls.VAULT_SETUP = ()
        super().setUpClass()
        cls.VAULT_SETUP = setup
        server = cls.server
        for user in USERS:
            server.passwords[user] = generate_password(user)
            server.psql_admin("postgres", f"CREATE ROLE {user} LOGIN PASSWORD "
                              f"'{server.passwords[user]}'", quiet=True)
        server.psql_admin(server.dbname, "GRANT CREATE ON SCHEMA public TO fowner; "
                          "GRANT fowner TO dba; GRANT ALL ON plain TO fowner")
        server.psql_admin(server.dbname, "SET ROLE fowner;\n" + cls.FOWNER_SQL)
        for user, statements in (
                ("dba", tuple(f"CREATE USER {u} PASSWORD '{server.passwords[u]}'"
                              for u in USERS)),
                ("secadmin", setup)):
            with psycopg2.connect(**server.conninfo(user)) as connection:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute("SELECT * FROM dbvault.execute(%s)", (statement,))
            connection.close()

    def loot(self) -> list[tuple]:
        return self.query(self.connect("dba"), "SELECT v FROM loot")

    def test_alice_writes_through_the_trigger(self):
        alice = self.connect("alice")
        self.query(alice, "INSERT INTO secret VALUES (%s)", (MARKER,))
        self.assertIn((MARKER,), self.query(alice, "SELECT v FROM secret"))
        self.assert_sqlstate("42501", self.connect("dba"), "SELECT v FROM secret")

    def test_replacing_the_trigger_function_is_refused(self):
        dba = self.connect("dba")
        self.assert_sqlstate(
            "42501", dba, "CREATE OR REPLACE FUNCTION stamp_row() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN INSERT INTO loot VALUES (NEW.v); RETURN NEW; END $$")
        self.query(self.connect("alice"), "INSERT INTO secret VALUES (%s)", (MARKER,))
        self.assertEqual(self.loot(), [])

    def test_altering_the_trigger_function_is_refused(self):
        dba = self.connect("dba")
        for sql in ("ALTER FUNCTION stamp_row() SECURITY DEFINER",
                    "ALTER FUNCTION stamp_row() SET search_path = public",
                    "ALTER FUNCTION stamp_row() OWNER TO dba",
                    "CREATE OR REPLACE FUNCTION short_enough(text) RETURNS bool LANGUAGE sql "
                    "IMMUTABLE AS $$ INSERT INTO loot VALUES ($1) RETURNING true $$"):
            self.assert_sqlstate("42501", dba, sql)

    def test_other_functions_stay_replaceable(self):
        dba = self.connect("dba")
        self.query(dba, "CREATE OR REPLACE FUNCTION plain_row() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
        self.query(dba, "ALTER FUNCTION plain_row() SET search_path = public")
        self.query(dba, "CREATE OR REPLACE FUNCTION pg_temp.mine() RETURNS int "
                   "LANGUAGE sql AS 'SELECT 1'")

    def test_the_admitted_owner_may_replace_it(self):
        fowner = self.connect("fowner")
        self.query(fowner, "CREATE OR REPLACE FUNCTION stamp_row() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")


if __name__ == "__main__":
    main()
