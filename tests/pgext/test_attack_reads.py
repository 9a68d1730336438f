"""Attack: every other way PostgreSQL reads a table, as the DBA (the owner of every table)
without unlocking the realm — each held on today's code; they guard against regressions.

Writable CTEs, UPDATE ... FROM, INSERT ... SELECT ... RETURNING, SELECT INTO, a materialized
view refreshed after the realm, a set-returning SQL function the planner inlines, a parallel
scan, EXPLAIN (ANALYZE), COPY (SELECT) TO STDOUT, a statement prepared while the realm was
unlocked and run after LOCK REALM, a case-variant name, and a dblink loopback connection.
"""

import secrets

from pgext_cluster import PgextCase, main

MARKER = "mk_" + secrets.token_hex(8)
PASSWORD = "reads-pw-" + secrets.token_hex(4)


class OtherReads(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE secret (id int, v text);
        INSERT INTO secret SELECT g, '{MARKER}' FROM generate_series(1, 2000) g;
        CREATE TABLE "Secret" (v text);
        INSERT INTO "Secret" VALUES ('{MARKER}');
        CREATE TABLE loot (v text);
        CREATE MATERIALIZED VIEW snapshot AS SELECT v FROM secret WITH NO DATA;
        CREATE FUNCTION all_values() RETURNS SETOF text LANGUAGE sql STABLE AS
          'SELECT v FROM secret';
    """
    VAULT_SETUP = (
        f"CREATE REALM rr REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM rr ADD TABLE secret",
    )

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.server.psql_admin(cls.server.dbname, "CREATE EXTENSION dblink")

    def assert_locked(self, sql: str, connection=None) -> None:
        self.assert_sqlstate("42501", connection or self.connect("dba"), sql)

    def test_statements_that_copy_rows(self):
        for sql in ("WITH x AS (SELECT v FROM secret) INSERT INTO loot SELECT v FROM x",
                    "WITH x AS (INSERT INTO loot SELECT v FROM secret RETURNING v) SELECT * FROM x",
                    "UPDATE loot SET v = s.v FROM secret s",
                    "INSERT INTO loot SELECT v FROM secret RETURNING v",
                    "SELECT v INTO copied FROM secret",
                    "CREATE TABLE copied2 AS SELECT v FROM secret",
                    "REFRESH MATERIALIZED VIEW snapshot",
                    "COPY (SELECT v FROM secret) TO STDOUT"):
            self.assert_locked(sql)
        self.assertEqual(self.query(self.connect("dba"), "SELECT count(*) FROM loot"), [(0,)])

    def test_planner_paths(self):
        dba = self.connect("dba")
        self.query(dba, "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
                   "SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2")
        for sql in ("SELECT count(*) FROM secret WHERE v LIKE 'mk%'",
                    "SELECT * FROM all_values()",
                    "EXPLAIN SELECT * FROM secret WHERE v = 'x'",
                    "EXPLAIN (ANALYZE, VERBOSE) SELECT * FROM secret"):
            self.assert_locked(sql, dba)

    def test_case_variant_name_is_protected_too(self):
        self.assert_locked('SELECT v FROM "Secret"')

    def test_prepared_while_unlocked_refused_after_lock(self):
        dba = self.connect("dba")
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('rr', %s)", (PASSWORD,))
        self.query(dba, "PREPARE peek AS SELECT v FROM secret LIMIT 1")
        self.assertEqual(self.query(dba, "EXECUTE peek"), [(MARKER,)])
        self.query(dba, "SELECT dbvault.lock_realm('rr')")
        self.assert_locked("EXECUTE peek", dba)

    def test_dblink_loopback_is_a_session_of_its_own(self):
        dba = self.connect("dba")
        info = self.server.conninfo("dba")
        conn = " ".join(f"{k}={v}" for k, v in info.items())
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('rr', %s)", (PASSWORD,))
        # The other backend authenticates on its own: this session's unlock does not follow.
        self.assert_locked(f"SELECT * FROM dblink('{conn}', 'SELECT v FROM secret') AS t(v text)",
                           dba)


if __name__ == "__main__":
    main()
