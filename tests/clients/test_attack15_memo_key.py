#!/usr/bin/python3
"""Attack 15 / surface 1: IndexPlanMemo. A named prepared statement S of a locked dba session A
is executed once (its plan and answer are kept), then something changes the plan SQLite would
run or the policy, then S runs again. PASS = the second run is refused (42501) or its rows are
not in the order of the realm column; FAIL = realm order leaks / rows come back.

Table u(id, a, b, ssn, note), realm a15m holds COLUMN u.ssn (dba never unlocks in A).
"""

import random

from attack15_common import (Hole, ServerCase, main, prepare, run_prepared, simple, wire_client)

N = 60


class MemoKey(ServerCase):
    def setUp(self):
        rnd = random.Random(7)
        ssns = rnd.sample(range(100000000, 999999999), N)
        self.ssn_of = {}
        vals = []
        for i, s in enumerate(ssns, start=1):
            vals.append(f"({i}, {1 if i % 3 == 0 else i}, {i % 2}, '{s}', 'n{i:03d}')")
            self.ssn_of[f"n{i:03d}"] = str(s)
        self.vals = vals
        self.execute("DROP TABLE IF EXISTS u",
                     "CREATE TABLE u (id INTEGER PRIMARY KEY, a INT, b INT, ssn TEXT, note TEXT)",
                     "INSERT INTO u VALUES " + ",".join(vals))
        self.execute("CREATE REALM a15m REQUIRE VAULT PASSWORD 'a15-memo-pw-1'", user="secadmin")

    def tearDown(self):
        self.execute("DROP REALM IF EXISTS a15m", user="secadmin")
        self.execute("DROP TABLE IF EXISTS u", "DROP TABLE IF EXISTS u_copy")

    def authorized(self, *stmts):
        """Runs stmts in another dba session that unlocked the realm (B)."""
        self.execute("UNLOCK REALM a15m PASSWORD 'a15-memo-pw-1'", *stmts)

    def protect(self):
        self.execute("ALTER REALM a15m ADD COLUMN u.ssn", user="secadmin")

    def leaks(self, got):
        notes = [r[0] for r in got]
        return len(notes) > 3 and notes == sorted(notes, key=self.ssn_of.get) and \
            notes != sorted(notes)

    def second_run(self, c, label, name="s", params=()):
        got, codes = run_prepared(c, name, params)
        print(f"  {label}: second run {len(got)} rows, errors {codes}, first {[r[0] for r in got[:4]]}")
        if got and (self.leaks(got) or codes == []):
            if self.leaks(got):
                raise Hole(f"{label}: rows in realm-column order: {[r[0] for r in got[:6]]}")
        return got, codes

    def test_m1_other_session_creates_covering_index(self):
        self.protect()
        c = wire_client(self)
        prepare(c, "s", "SELECT note FROM u")
        got, codes = run_prepared(c, "s")
        print("  first run:", len(got), codes)
        self.assertEqual((len(got), codes), (N, []))
        self.authorized("CREATE INDEX u_sn ON u (ssn, note)")  # another session (dba)
        got, codes = self.second_run(c, "index created by another session")
        self.assertEqual(codes, ["42501"], "plan now scans u_sn")

    def test_m2_realm_column_added_after_first_run(self):
        self.execute("CREATE INDEX u_sn ON u (ssn, note)")
        c = wire_client(self)
        prepare(c, "s", "SELECT note FROM u")
        got, codes = run_prepared(c, "s")
        print("  first run (ssn not yet in a realm):", len(got), codes, self.leaks(got))
        self.protect()
        got, codes = self.second_run(c, "ADD COLUMN u.ssn after the first run")
        self.assertEqual(codes, ["42501"])

    def test_m3_table_dropped_and_recreated(self):
        self.protect()
        c = wire_client(self)
        prepare(c, "s", "SELECT note FROM u")
        got, codes = run_prepared(c, "s")
        self.assertEqual(codes, [])
        self.authorized("DROP TABLE u", "CREATE TABLE u (id INTEGER PRIMARY KEY, a INT, b INT, ssn TEXT, note TEXT)",
                     "CREATE INDEX u_sn ON u (ssn, note)",
                        "INSERT INTO u VALUES " + ",".join(self.vals))
        got, codes = self.second_run(c, "table recreated under the same name with index")

    def test_m4_analyze_by_other_session_flips_index(self):
        # u_as (a, ssn): rows with equal a come in ssn order; u_b (b). First b is unique and a
        # constant: ANALYZE makes the planner use u_b. Then B (unlocked) makes b constant and
        # re-analyzes: a fresh plan would use u_as (realm order). sqlite_stat1 exists already, so
        # B's ANALYZE changes no schema cookie.
        self.authorized("UPDATE u SET a = 1, b = id", "CREATE INDEX u_as ON u (a, ssn)",
                        "CREATE INDEX u_b ON u (b)", "ANALYZE u")
        self.protect()
        q = "SELECT note FROM u WHERE a = 1 AND b = 0"
        c = wire_client(self)
        print("  EQP in A before:", simple(c, "EXPLAIN QUERY PLAN " + q))
        print("  prepare:", prepare(c, "s", q))
        got, codes = run_prepared(c, "s")
        print("  first run:", len(got), codes)
        self.authorized("UPDATE u SET b = 0", "ANALYZE u")
        other = wire_client(self)
        print("  EQP in a new session:", simple(other, "EXPLAIN QUERY PLAN " + q))
        got, codes = self.second_run(c, "ANALYZE by another session")
        print("  EQP in A after:", simple(c, "EXPLAIN QUERY PLAN " + q))
        got, codes = simple(c, q)
        print("  simple in A after:", len(got), codes)
        if got and self.leaks(got):
            raise Hole("A's simple query leaked the realm order")

    def test_m5_lock_after_unlocked_run(self):
        self.execute("CREATE INDEX u_sn ON u (ssn, note)")
        self.protect()
        c = wire_client(self)
        print("  unlock:", simple(c, "UNLOCK REALM a15m PASSWORD 'a15-memo-pw-1'")[1])
        prepare(c, "s", "SELECT note FROM u")
        got, codes = run_prepared(c, "s")
        print("  unlocked run:", len(got), codes)
        print("  lock:", simple(c, "LOCK REALM a15m")[1])
        got, codes = self.second_run(c, "LOCK REALM after an unlocked run")
        self.assertEqual(codes, ["42501"])

    def test_m6_simple_cache_then_index(self):
        self.protect()
        c = wire_client(self)
        q = "SELECT note FROM u WHERE note <> 'zz'"
        got, codes = simple(c, q)
        got, codes = simple(c, q)
        print("  simple twice:", len(got), codes)
        self.authorized("CREATE INDEX u_sn ON u (ssn, note)")
        got, codes = simple(c, q)
        print("  simple after index:", len(got), codes, got[:3])
        if got and self.leaks(got):
            raise Hole("simple protocol cache: realm order leaked")

    def test_m7_own_transaction_index(self):
        self.protect()
        c = wire_client(self)
        prepare(c, "s", "SELECT note FROM u")
        got, codes = run_prepared(c, "s")
        self.assertEqual(codes, [])
        print("  UNLOCK/BEGIN/CREATE INDEX/LOCK:",
              simple(c, "UNLOCK REALM a15m PASSWORD 'a15-memo-pw-1'")[1], simple(c, "BEGIN")[1],
              simple(c, "CREATE INDEX u_sn ON u (ssn, note)")[1], simple(c, "LOCK REALM a15m")[1])
        got, codes = self.second_run(c, "in own write transaction after CREATE INDEX")
        self.assertEqual(codes, ["42501"])
        print("  ROLLBACK:", simple(c, "ROLLBACK")[1])
        got2, codes2 = run_prepared(c, "s")
        print("  after rollback:", len(got2), codes2)

    def test_m8_savepoint_rollback_then_other_index(self):
        # A: a savepoint creating and rolling back an index (cookie back to its value), then
        # B commits a real index: does A's memo key (cookie) collide with the rolled-back one?
        self.protect()
        c = wire_client(self)
        prepare(c, "s", "SELECT note FROM u")
        print("  first:", run_prepared(c, "s")[1])
        for stmt in ("BEGIN", "SAVEPOINT p", "CREATE INDEX u_x ON u (a)", "ROLLBACK TO p",
                     "RELEASE p", "COMMIT"):
            simple(c, stmt)
        print("  second:", run_prepared(c, "s")[1])
        self.authorized("CREATE INDEX u_sn ON u (ssn, note)")
        got, codes = self.second_run(c, "index by B after A's rolled-back savepoint DDL")
        self.assertEqual(codes, ["42501"])


if __name__ == "__main__":
    main()
