"""Attack: the planner's statistics of a realm table.

The DBA (the table's owner: it holds SELECT, so PostgreSQL's statistic_proc_security_check
passes) defines a non-leakproof function that RAISEs NOTICE its arguments, wraps it in an
operator with RESTRICT = scalarltsel / eqsel, and plans a query on the realm table with it:
the planner calls the operator's function on the most common values and the histogram of
pg_statistic — and, with CREATE STATISTICS, on the MCV list of pg_statistic_ext_data, and
for an expression index on the index's statistics — during planning, before the executor's
check refuses the statement. The values would reach the DBA as notices while the realm is
locked. Direct reads of pg_statistic, pg_stats and pg_stats_ext stay refused.
"""

import re
import secrets

from pgext_cluster import PgextCase, main

SECRET_MCV = 424242
SECRET_HIST = 700000
PASSWORD = "stats-pw-" + secrets.token_hex(4)
MARKER = "leak:"


class PlannerStatistics(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE secret (id int, n int, m int);
        INSERT INTO secret SELECT g, CASE WHEN g % 2 = 0 THEN {SECRET_MCV} ELSE
            {SECRET_HIST} + g END, g % 3 FROM generate_series(1, 3000) g;
        CREATE INDEX secret_expr ON secret ((n + 0));
        CREATE STATISTICS secret_ext (mcv) ON n, m FROM secret;
        ANALYZE secret;
        CREATE TABLE parent (id int, n int);
        CREATE TABLE kid () INHERITS (parent);
        INSERT INTO kid SELECT g, {SECRET_MCV} FROM generate_series(1, 500) g;
        ANALYZE parent; ANALYZE kid;
        CREATE FUNCTION noisy_lt(int, int) RETURNS bool LANGUAGE plpgsql AS $$
          BEGIN RAISE NOTICE '{MARKER}%', $1; RETURN $1 < $2; END $$;
        CREATE FUNCTION noisy_eq(int, int) RETURNS bool LANGUAGE plpgsql AS $$
          BEGIN RAISE NOTICE '{MARKER}%', $1; RETURN $1 = $2; END $$;
        CREATE OPERATOR <<< (FUNCTION = noisy_lt, LEFTARG = int, RIGHTARG = int,
                             RESTRICT = scalarltsel);
        CREATE OPERATOR === (FUNCTION = noisy_eq, LEFTARG = int, RIGHTARG = int,
                             RESTRICT = eqsel);
        CREATE TABLE plain (n int);
        INSERT INTO plain SELECT 5 FROM generate_series(1, 100);
        ANALYZE plain;
    """
    VAULT_SETUP = (
        f"CREATE REALM st REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM st ADD TABLE secret, TABLE kid",
    )

    def leaked(self, connection, sql: str) -> list[str]:
        """The notices `sql` produced (it may fail: the executor refuses it)."""
        del connection.notices[:]
        try:
            self.query(connection, sql)
        except Exception:  # noqa: BLE001 - a refusal is expected; the notices are the point
            pass
        return [n for n in connection.notices if MARKER in n]

    def test_locked_planning_leaks_no_statistics(self):
        dba = self.connect("dba")
        for sql in ("EXPLAIN SELECT * FROM secret WHERE n <<< 5",
                    "EXPLAIN SELECT * FROM secret WHERE n === 5",
                    "SELECT * FROM secret WHERE n === 5",
                    "EXPLAIN SELECT * FROM secret WHERE (n + 0) === 5",
                    "EXPLAIN SELECT * FROM secret WHERE n === 5 AND m === 1",
                    "EXPLAIN SELECT * FROM parent WHERE n === 5",
                    "EXPLAIN SELECT * FROM kid WHERE n <<< 5"):
            self.assertEqual(self.leaked(dba, sql), [], sql)

    def test_unlocked_session_plans_with_statistics(self):
        dba = self.connect("dba")
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('st', %s)", (PASSWORD,))
        notices = self.leaked(dba, "EXPLAIN SELECT * FROM secret WHERE n === 5")
        self.assertTrue(any(str(SECRET_MCV) in n for n in notices), notices)
        plan = self.query(dba, "EXPLAIN SELECT * FROM secret WHERE n = %s", (SECRET_MCV,))
        rows = int(re.search(r"rows=(\d+)", plan[0][0]).group(1))
        self.assertGreater(rows, 1000, plan)  # the MCV's frequency: about half of 3000

    def test_table_outside_realms_keeps_its_statistics(self):
        notices = self.leaked(self.connect("dba"), "EXPLAIN SELECT * FROM plain WHERE n === 5")
        self.assertTrue(notices)

    def test_statistics_catalogs_stay_refused(self):
        dba = self.connect("dba")
        for sql in ("SELECT * FROM pg_statistic",
                    "SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'secret'",
                    "SELECT * FROM pg_stats_ext",
                    "SELECT * FROM pg_stats_ext_exprs",
                    "SELECT * FROM pg_statistic_ext_data"):
            self.assert_sqlstate("42501", dba, sql)


if __name__ == "__main__":
    main()
