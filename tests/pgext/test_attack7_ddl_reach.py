"""Attack: DDL on a table outside every realm that reaches realm tables it does not name.

The DBA owns every table but cannot unlock the realm. The realm holds `kid` (an inheritance
child of the plain table `parent`), `part_1` (a partition of the plain `part`), `refs` (whose
foreign key references the plain `ids`) and `dom_use` (a column of the domain `amount`), and
the DBA tries:
- ALTER TABLE parent ADD CONSTRAINT ... CHECK: recurses, validates kid's rows, and the
  violation tells whether every secret value is below a bound (an oracle);
- ALTER DOMAIN amount ADD CONSTRAINT: validates dom_use's column (the same oracle);
- CREATE UNIQUE INDEX ON part: built on part_1 too, the build error quotes a duplicated key;
- TRUNCATE ids CASCADE: empties refs; DROP TABLE part: drops part_1;
- DROP DOMAIN amount CASCADE: drops dom_use's column;
- CREATE STATISTICS on a realm table (its MCV list samples the rows);
- ALTER TABLE kid NO INHERIT / ALTER TABLE parent ATTACH PARTITION of a realm table and then a
  read through the parent, and a plain SELECT of the parent (a scan that reaches kid).
Each must be refused (42501) and change nothing; an unlocked session runs them.
"""

import secrets

from pgext_cluster import PgextCase, main

SECRET = 4242
PASSWORD = "reach-pw-" + secrets.token_hex(4)


class DdlReach(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE parent (id int, v int);
        CREATE TABLE kid () INHERITS (parent);
        INSERT INTO kid VALUES (1, {SECRET}), (2, {SECRET});
        CREATE TABLE part (id int, v int) PARTITION BY LIST (id);
        CREATE TABLE part_1 PARTITION OF part FOR VALUES IN (1);
        CREATE TABLE part_2 PARTITION OF part FOR VALUES IN (2);
        INSERT INTO part VALUES (1, {SECRET}), (1, {SECRET});
        CREATE TABLE loose (id int, v int);
        INSERT INTO loose VALUES (3, {SECRET});
        CREATE TABLE ids (id int PRIMARY KEY);
        INSERT INTO ids VALUES (1);
        CREATE TABLE refs (id int REFERENCES ids, v int);
        INSERT INTO refs VALUES (1, {SECRET});
        CREATE DOMAIN amount AS int;
        CREATE TABLE dom_use (id int, v amount);
        INSERT INTO dom_use VALUES (1, {SECRET});
        CREATE TABLE plain (id int, v int);
        CREATE TABLE plain_kid () INHERITS (plain);
        INSERT INTO plain_kid VALUES (1, 1);
    """
    VAULT_SETUP = (
        f"CREATE REALM reach REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM reach ADD TABLE kid, TABLE part_1, TABLE refs, TABLE dom_use, TABLE loose",
    )

    def unlocked(self):
        dba = self.connect("dba")
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('reach', %s)", (PASSWORD,))
        return dba

    def count(self, table: str) -> int:
        return self.query(self.unlocked(), f"SELECT count(*) FROM {table}")[0][0]

    def test_check_constraint_through_the_parent_is_refused(self):
        self.assert_sqlstate("42501", self.connect("dba"),
                             "ALTER TABLE parent ADD CONSTRAINT below CHECK (v < 5000)")
        self.assert_sqlstate("42501", self.connect("dba"),
                             "ALTER TABLE parent ADD COLUMN extra int")

    def test_domain_constraint_is_refused(self):
        dba = self.connect("dba")
        for sql in ("ALTER DOMAIN amount ADD CONSTRAINT below CHECK (VALUE < 5000)",
                    "ALTER DOMAIN amount SET NOT NULL",
                    "DROP DOMAIN amount CASCADE"):
            self.assert_sqlstate("42501", dba, sql)
        self.assertEqual(self.count("dom_use"), 1)

    def test_unique_index_through_the_partitioned_parent_is_refused(self):
        error = self.assert_sqlstate("42501", self.connect("dba"),
                                     "CREATE UNIQUE INDEX part_v ON part (id, v)")
        self.assertNotIn(str(SECRET), str(error) + (error.diag.message_detail or ""))

    def test_truncate_cascade_and_drop_of_parents_are_refused(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "TRUNCATE ids CASCADE")
        self.assert_sqlstate("42501", dba, "TRUNCATE parent")
        self.assert_sqlstate("42501", dba, "DROP TABLE part")
        self.assert_sqlstate("42501", dba, "DROP TABLE parent CASCADE")
        self.assertEqual(self.count("refs"), 1)
        self.assertEqual(self.count("part_1"), 2)
        self.assertEqual(self.count("kid"), 2)

    def test_create_statistics_on_a_realm_table_is_refused(self):
        self.assert_sqlstate("42501", self.connect("dba"),
                             "CREATE STATISTICS kid_s (mcv) ON id, v FROM kid")

    def test_moving_a_realm_table_under_a_parent_is_refused(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "ALTER TABLE kid NO INHERIT parent")
        self.assert_sqlstate("42501", dba, "ALTER TABLE loose INHERIT plain")
        self.assert_sqlstate("42501", dba,
                             "ALTER TABLE part ATTACH PARTITION loose FOR VALUES IN (3)")

    def test_select_of_the_parent_is_refused(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "SELECT * FROM parent")
        self.assert_sqlstate("42501", dba, "SELECT * FROM part")
        self.assertEqual(self.query(dba, "SELECT count(*) FROM ONLY parent"), [(0,)])

    def test_tables_outside_realms_keep_their_ddl(self):
        dba = self.connect("dba")
        self.query(dba, "ALTER TABLE plain ADD CONSTRAINT small CHECK (v < 100)")
        self.query(dba, "ALTER TABLE plain DROP CONSTRAINT small")
        self.query(dba, "ALTER TABLE ONLY parent ALTER COLUMN v SET DEFAULT 0")
        self.query(dba, "CREATE INDEX plain_v ON plain (v); DROP INDEX plain_v")
        self.query(dba, "CREATE DOMAIN free_amount AS int; "
                   "CREATE TABLE free_use (v free_amount); "
                   "ALTER DOMAIN free_amount ADD CONSTRAINT pos CHECK (VALUE > 0); "
                   "CREATE STATISTICS plain_s ON id, v FROM plain; DROP STATISTICS plain_s")
        self.query(dba, "TRUNCATE plain")

    def test_unlocked_session_runs_them(self):
        dba = self.unlocked()
        self.query(dba, "ALTER TABLE parent ADD CONSTRAINT below CHECK (v < 5000)")
        self.query(dba, "ALTER TABLE parent DROP CONSTRAINT below")
        self.query(dba, "ALTER DOMAIN amount ADD CONSTRAINT below CHECK (VALUE < 5000)")
        self.query(dba, "ALTER DOMAIN amount DROP CONSTRAINT below")
        self.query(dba, "CREATE STATISTICS kid_s2 (mcv) ON id, v FROM kid; DROP STATISTICS kid_s2")
        self.assertEqual(self.query(dba, "SELECT count(*) FROM parent"), [(2,)])


if __name__ == "__main__":
    main()
