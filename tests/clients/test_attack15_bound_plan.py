#!/usr/bin/python3
"""Attack 15 / surface 1 (near IndexPlanMemo): the plan check (with_index_reads) reads
EXPLAIN QUERY PLAN of sqlite3_sql(stmt) -- the statement *text*, compiled without the bound
parameter values. SQLite compiles the real statement again with those values
(sqlite3_bind on a parameter in the statement's expmask expires it; the re-prepare sees the
value): the LIKE/GLOB optimisation uses a bound pattern, and a bound value can make a partial
index usable. So the plan that runs scans a realm index the checked plan does not mention.
The simple protocol auto-parameterizes literals (server/pgcompat/auto_parameters.h), so even
`SELECT note FROM t WHERE dept GLOB 'd1*'` typed in psql is affected.

Table t(id, dept, ssn, note), index t_ds ON t(dept, ssn), realm a15r holds COLUMN t.ssn only.
dba is not unlocked: reading note/dept is allowed, reading through t_ds (ssn order) is not.
PASS = refused, or rows not in ssn order; FAIL = the rows come in the order of the hidden ssn.
"""

import random

from attack15_common import Hole, ServerCase, ext_query, main, simple, wire_client


class BoundPattern(ServerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rnd = random.Random(15)
        ssns = rnd.sample(range(100000000, 999999999), 40)
        cls.ssn_of = {}
        values = []
        for i, s in enumerate(ssns, start=1):
            dept = "d1" if i % 2 else "d2"
            values.append(f"({i}, '{dept}', '{s}', 'n{i}')")
            cls.ssn_of[f"n{i}"] = str(s)
        cls.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, dept TEXT, ssn TEXT, note TEXT)",
                    "CREATE INDEX t_ds ON t (dept, ssn)",
                    "INSERT INTO t VALUES " + ",".join(values),
                    # t2: only a partial index on the realm column
                    "CREATE TABLE t2 (id INTEGER PRIMARY KEY, dept TEXT, ssn TEXT, note TEXT)",
                    "CREATE INDEX t2_pssn ON t2 (ssn) WHERE dept = 'd1'",
                    "INSERT INTO t2 VALUES " + ",".join(values))
        cls.execute("CREATE REALM a15r REQUIRE VAULT PASSWORD 'a15-realm-pw-1'", user="secadmin")
        cls.execute("ALTER REALM a15r ADD COLUMN t.ssn, COLUMN t2.ssn", user="secadmin")

    def judge(self, got, codes, label, col=0):
        notes = [r[col] for r in got]
        print(f"  {label}: {len(notes)} rows, errors {codes}; notes {notes[:8]}...")
        by_ssn = sorted(notes, key=lambda n: self.ssn_of[n])
        by_id = sorted(notes, key=lambda n: int(n[1:]))
        if len(notes) > 3 and notes == by_ssn and notes != by_id:
            raise Hole(f"{label}: {len(notes)} rows in the order of the realm column ssn "
                       f"(ssn of the first five: {[self.ssn_of[n] for n in notes[:5]]})")

    def test_control_index_read_refused(self):
        c = wire_client(self)
        for q in ("SELECT note FROM t INDEXED BY t_ds", "SELECT note FROM t WHERE dept > 'd'",
                  "SELECT note FROM t WHERE dept = 'd1'"):
            got, codes = simple(c, q)
            print(f"  control {q!r}: {got[:2]} {codes}")
            self.assertEqual(got, [], q)
            self.assertEqual([c for c, _ in codes], ["42501"], q)

    def test_simple_protocol_literal_glob(self):
        c = wire_client(self)
        got, codes = simple(c, "SELECT note FROM t WHERE dept GLOB 'd1*'")
        self.judge(got, codes, "simple: dept GLOB 'd1*'")

    def test_extended_bound_glob(self):
        c = wire_client(self)
        got, codes = ext_query(c, "SELECT note FROM t WHERE dept GLOB $1", ("d1*",))
        self.judge(got, codes, "extended: dept GLOB $1 ('d1*')")

    def test_simple_protocol_partial_index(self):
        c = wire_client(self)
        got, codes = simple(c, "SELECT note FROM t2 WHERE dept = 'd1' AND note <> 'x'")
        self.judge(got, codes, "simple: t2 dept = 'd1' AND note <> 'x'")

    def test_extended_partial_index(self):
        c = wire_client(self)
        got, codes = ext_query(c, "SELECT note FROM t2 WHERE dept = $1", ("d1",))
        self.judge(got, codes, "extended: t2 dept = $1 ('d1')")


if __name__ == "__main__":
    main()
