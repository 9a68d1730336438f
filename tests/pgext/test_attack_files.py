"""Attack: read the module's stores (or a realm table's files) through SQL without calling
pg_read_file by name.

The module refuses pg_read_file, pg_read_binary_file, pg_stat_file, pg_ls_dir, lo_import and
lo_export wherever a query names them. A role granted EXECUTE on them (or a superuser) tries
the other ways PostgreSQL calls a function: an operator whose function is pg_read_file, an
aggregate whose state function is, a column DEFAULT, a row-level security policy and a rule
(expressions the rewriter adds after the query was analysed), and pg_read_server_files tries
COPY FROM / TO a file in the module's stores and a file_fdw foreign table over one.
"""

import psycopg2

from pgext_cluster import PgextCase, main

KEY = "dbvault/keys/master.key"


class ReadFilesIndirectly(PgextCase):
    OWNER_SQL = """
        CREATE TABLE sink (line text);
        CREATE TABLE paths (p text);
        INSERT INTO paths VALUES ('dbvault/keys/master.key');
    """

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # A superuser lends the file functions to the DBA (as for reading server logs), and
        # file access to `app`.
        cls.server.psql_admin(cls.server.dbname, """
            GRANT EXECUTE ON FUNCTION pg_read_file(text) TO dba;
            GRANT EXECUTE ON FUNCTION pg_read_file(text, bigint, bigint) TO dba;
            GRANT EXECUTE ON FUNCTION pg_read_binary_file(text) TO dba;
            GRANT pg_read_server_files, pg_write_server_files TO app;
            CREATE EXTENSION file_fdw;
            CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
            GRANT USAGE ON FOREIGN SERVER files TO app;
        """)

    def assert_no_key(self, connection, sql: str) -> None:
        """`sql` is refused (42501) or at least never returns the master key's text."""
        try:
            rows = self.query(connection, sql)
        except psycopg2.Error as error:
            self.assertEqual(error.pgcode, "42501", f"{sql}: {error}")
            return
        self.assertNotIn("dbvault-master-key", repr(rows), sql)
        self.fail(f"{sql} was not refused: {rows!r}")

    def assert_refused_made_or_used(self, make: str, use: str) -> None:
        """`make` is refused (42501), or else `use` of what it made is (assert_no_key)."""
        dba = self.connect("dba")
        try:
            self.query(dba, make)
        except psycopg2.Error as error:
            self.assertEqual(error.pgcode, "42501", str(error))
            return
        self.assert_no_key(dba, use)

    def test_direct_call_is_refused(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "SELECT pg_read_file(%s)", (KEY,),
                             message="pg_read_file is refused")

    def test_operator_over_pg_read_file_is_refused(self):
        self.assert_refused_made_or_used(
            "CREATE OPERATOR public.### (RIGHTARG = text, FUNCTION = pg_read_file)",
            f"SELECT ### '{KEY}'")

    def test_aggregate_over_pg_read_file_is_refused(self):
        self.assert_refused_made_or_used(
            "CREATE AGGREGATE public.slurp(bigint, bigint) (SFUNC = pg_read_file, "
            f"STYPE = text, INITCOND = '{KEY}')",
            "SELECT slurp(0, 200)")

    def test_default_expression_is_refused(self):
        self.assert_refused_made_or_used(
            "CREATE TABLE grab (id int, line text "
            f"DEFAULT pg_read_file('{KEY}'))",
            "INSERT INTO grab (id) VALUES (1) RETURNING line")

    def test_policy_expression_is_refused(self):
        self.assert_refused_made_or_used(
            "CREATE TABLE polled (id int); INSERT INTO polled VALUES (1); "
            "ALTER TABLE polled ENABLE ROW LEVEL SECURITY; "
            "ALTER TABLE polled FORCE ROW LEVEL SECURITY; "
            "CREATE POLICY leak ON polled USING "
            "(pg_read_file((SELECT p FROM paths)) IS NOT NULL "
            " AND (SELECT true FROM (SELECT 1) x WHERE "
            "      pg_read_file((SELECT p FROM paths)) <> ''))",
            "SELECT * FROM polled")

    def test_internal_alias_made_by_a_superuser_is_refused(self):
        # Same C code under another name (LANGUAGE internal is for superusers; EXECUTE is
        # PUBLIC's by default).
        self.server.psql_admin(self.server.dbname, "CREATE FUNCTION public.slurp_all(text) "
                               "RETURNS text LANGUAGE internal STRICT AS 'pg_read_file_all'")
        self.assert_sqlstate("42501", self.connect("dba"), "SELECT slurp_all(%s)", (KEY,),
                             message="refused")

    def test_rule_action_is_refused(self):
        dba = self.connect("dba")
        try:
            self.query(dba, "CREATE TABLE trap (id int); CREATE RULE copy_key AS ON INSERT TO trap "
                       "DO ALSO INSERT INTO sink SELECT pg_read_file(p) FROM paths")
        except psycopg2.Error as error:
            self.assertEqual(error.pgcode, "42501", str(error))
            return
        self.assert_sqlstate("42501", dba, "INSERT INTO trap VALUES (1)", message="pg_read_file")
        self.assertEqual(self.query(dba, "SELECT count(*) FROM sink"), [(0,)])

    def test_copy_from_a_store_file_is_refused(self):
        app = self.connect("app")
        self.query(app, "CREATE TEMP TABLE stolen (line text)")
        for path in (KEY, f"{self.server.data_dir}/{KEY}",
                     f"{self.server.data_dir}/base/../dbvault/keys/master.key"):
            self.assert_sqlstate("42501", app, f"COPY stolen FROM '{path}'", message="dbvault")
        self.assertEqual(self.query(app, "SELECT count(*) FROM stolen"), [(0,)])

    def test_file_fdw_over_a_store_file_is_refused(self):
        app = self.connect("app")
        self.assert_sqlstate("42501", app, "CREATE FOREIGN TABLE pg_temp.k (line text) SERVER "
                             f"files OPTIONS (filename '{KEY}')", message="dbvault")
        self.assert_sqlstate("42501", app, "CREATE FOREIGN TABLE pg_temp.p (line text) SERVER "
                             f"files OPTIONS (program 'cat {KEY}')", message="dbvault")
        outside = f"{self.server.workdir}/fdw.csv"
        self.query(app, f"COPY (SELECT 'fine') TO '{outside}'")
        self.query(app, "CREATE FOREIGN TABLE fine (line text) SERVER files "
                   f"OPTIONS (filename '{outside}')")
        self.assertEqual(self.query(app, "SELECT line FROM fine"), [("fine",)])
        self.assert_sqlstate("42501", app, "ALTER FOREIGN TABLE fine OPTIONS (SET filename "
                             f"'{self.server.data_dir}/{KEY}')", message="dbvault")

    def test_copy_of_an_ordinary_file_still_works(self):
        app = self.connect("app")
        path = f"{self.server.workdir}/outside.csv"
        self.query(app, f"COPY (SELECT 'plain') TO '{path}'")
        self.query(app, "CREATE TEMP TABLE back (line text)")
        self.query(app, f"COPY back FROM '{path}'")
        self.assertEqual(self.query(app, "SELECT line FROM back"), [("plain",)])


class WriteStoreFiles(PgextCase):
    """pg_write_server_files tries to overwrite the master key (the vault would never open
    again: the audit log and the TEKs would be lost) and postgresql.auto.conf (the module's
    own settings, shared_preload_libraries at the next start)."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.server.psql_admin(cls.server.dbname, "GRANT pg_write_server_files TO app")

    def test_copy_to_a_store_file_is_refused(self):
        app = self.connect("app")
        target = f"{self.server.data_dir}/dbvault/keys/master.key"
        self.assert_sqlstate("42501", app, f"COPY (SELECT 'x') TO '{target}'", message="dbvault")
        self.assert_sqlstate("42501", app, f"COPY (SELECT 'x') TO "
                             f"'{self.server.data_dir}/postgresql.auto.conf'", message="dbvault")
        # The vault still opens: the key was not overwritten.
        self.assertEqual(self.query(self.connect("dba"), "SELECT count(*) FROM dbvault.explain("
                                    "'SELECT 1')"), [(0,)])


if __name__ == "__main__":
    main()
