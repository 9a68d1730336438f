"""Attack: reach a realm table's rows through the relations that store them.

A realm names tables, but PostgreSQL keeps a table's rows in other relations too:
- a partitioned table holds no rows itself: they live in its partitions, each a table of its
  own name that a realm on the parent does not name;
- a table with inheritance children shows their rows when read (the children are part of
  what the realm protects as seen through the parent);
- a value longer than ~2 KB lives in the table's TOAST relation (pg_toast.pg_toast_<oid>),
  which the table's owner, a superuser and pg_read_all_data can SELECT from directly;
- DELETE / UPDATE through a parent reaches a partition: its command rules must see the
  command, not a read.
The DBA (owner of every table, no unlock) and a pg_read_all_data member try each way.
"""

import secrets

from pgext_cluster import PgextCase, main

MARKER = "mk_" + secrets.token_hex(8)
# Random hex is not compressible enough for pglz: stored out of line, uncompressed.
BIG = "big_" + secrets.token_hex(3000)


class StorageRelations(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE measurements (id int, v text) PARTITION BY RANGE (id);
        CREATE TABLE measurements_a PARTITION OF measurements FOR VALUES FROM (0) TO (100);
        CREATE TABLE measurements_b PARTITION OF measurements FOR VALUES FROM (100) TO (200)
            PARTITION BY RANGE (id);
        CREATE TABLE measurements_b1 PARTITION OF measurements_b FOR VALUES FROM (100) TO (200);
        INSERT INTO measurements VALUES (1, '{MARKER}'), (150, '{MARKER}');
        CREATE TABLE legacy (id int, v text);
        CREATE TABLE legacy_child (extra int) INHERITS (legacy);
        INSERT INTO legacy_child VALUES (1, '{MARKER}', 0);
        CREATE TABLE documents (id int, body text);
        INSERT INTO documents VALUES (1, '{BIG}');
        CREATE TABLE orders (id int, v text) PARTITION BY LIST (id);
        CREATE TABLE orders_1 PARTITION OF orders FOR VALUES IN (1);
        INSERT INTO orders VALUES (1, 'keep');
        CREATE TABLE ledger (id int PRIMARY KEY, v text) PARTITION BY LIST (id);
        CREATE TABLE ledger_1 PARTITION OF ledger FOR VALUES IN (1);
        CREATE TABLE ledger_2 PARTITION OF ledger FOR VALUES IN (2);
        INSERT INTO ledger VALUES (1, '{MARKER}'), (2, 'open');
    """
    VAULT_SETUP = (
        "CREATE REALM store REQUIRE VAULT PASSWORD 'store-pw-1'",
        "ALTER REALM store ADD TABLE measurements, TABLE legacy, TABLE documents",
        "CREATE REALM one_partition REQUIRE VAULT PASSWORD 'ledger-pw-1'",
        "ALTER REALM one_partition ADD TABLE ledger_1",
        "CREATE COMMAND RULE no_delete_orders_1 FOR DELETE, UPDATE ON TABLE orders_1 "
        "DENY FROM USER dba MESSAGE 'orders_1 is append-only'",
    )

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.server.psql_admin(cls.server.dbname, "GRANT pg_read_all_data TO app")

    def toast_name(self, connection, table: str) -> str:
        rows = self.query(connection, "SELECT reltoastrelid::regclass::text FROM pg_class "
                          "WHERE oid = %s::regclass", (table,))
        return rows[0][0]

    def test_parent_in_realm_is_locked(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "SELECT v FROM measurements")
        self.assert_sqlstate("42501", dba, "SELECT v FROM legacy")
        self.assert_sqlstate("42501", dba, "SELECT body FROM documents")

    def test_partition_of_realm_table_is_locked(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "SELECT v FROM measurements_a", message="store")
        self.assert_sqlstate("42501", dba, "SELECT v FROM measurements_b1", message="store")
        self.assert_sqlstate("42501", dba, "COPY measurements_a TO STDOUT")
        self.assert_sqlstate("42501", dba, "UPDATE measurements_a SET v = 'x'")

    def test_inheritance_child_of_realm_table_is_locked(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "SELECT v FROM legacy_child", message="store")
        self.assert_sqlstate("42501", dba, "SELECT v FROM ONLY legacy_child")

    def test_detaching_a_partition_or_child_is_refused(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "ALTER TABLE measurements DETACH PARTITION measurements_a")
        self.assert_sqlstate("42501", dba, "ALTER TABLE legacy_child NO INHERIT legacy")

    def test_attaching_a_realm_table_elsewhere_is_refused(self):
        dba = self.connect("dba")
        self.query(dba, "CREATE TABLE IF NOT EXISTS collector (id int, body text) "
                   "PARTITION BY RANGE (id)")
        self.assert_sqlstate("42501", dba, "ALTER TABLE collector ATTACH PARTITION documents "
                             "FOR VALUES FROM (0) TO (10)", message="store")

    def test_a_table_made_a_child_later_is_protected_at_once(self):
        # The backend's list of a relation's owners is cached; INHERIT must invalidate it.
        dba = self.connect("dba")
        self.query(dba, "CREATE TABLE stray (id int, v text); INSERT INTO stray VALUES (1, 'x')")
        self.assertEqual(self.query(dba, "SELECT v FROM stray"), [("x",)])
        self.query(dba, "ALTER TABLE stray INHERIT legacy")
        self.assert_sqlstate("42501", dba, "SELECT v FROM stray", message="store")
        self.assert_sqlstate("42501", self.connect("dba"), "SELECT v FROM stray")

    def test_renamed_partition_stays_protected(self):
        # A partition is protected as a part of its parent, not by its own name: renaming it
        # is allowed and takes nothing out of the realm.
        dba = self.connect("dba")
        self.query(dba, "ALTER TABLE measurements_b1 RENAME TO renamed_b1")
        self.addCleanup(self.query, dba, "ALTER TABLE renamed_b1 RENAME TO measurements_b1")
        self.assert_sqlstate("42501", dba, "SELECT v FROM renamed_b1", message="store")

    def test_toast_relation_of_realm_table_is_locked(self):
        dba = self.connect("dba")
        toast = self.toast_name(dba, "documents")
        self.assertTrue(toast.startswith("pg_toast."), toast)
        # pg_toast grants no USAGE: PostgreSQL refuses them before the vault is asked.
        self.assert_sqlstate("42501", dba, f"SELECT chunk_data FROM {toast}")
        reader = self.connect("app")
        self.assert_sqlstate("42501", reader, f"SELECT chunk_data FROM {toast}")

    def test_superuser_reads_no_toast_either(self):
        # A superuser's session has no vault user: realms refuse it too (docs §6 is about
        # what it can do outside SQL), and so the table's TOAST relation.
        toast = self.toast_name(self.connect("dba"), "documents")
        out = self.server.psql_admin(self.server.dbname, f"\\set ON_ERROR_STOP 0\n"
                                     "SELECT count(*) FROM documents;\n"
                                     f"SELECT encode(chunk_data, 'escape') FROM {toast};")
        self.assertNotIn(BIG[:64], out)
        self.assertNotIn("(1 row)", out)

    def test_command_rule_on_partition_holds_through_parent(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "DELETE FROM orders_1", message="append-only")
        self.assert_sqlstate("42501", dba, "DELETE FROM orders WHERE id = 1",
                             message="append-only")
        self.assert_sqlstate("42501", dba, "UPDATE orders SET v = 'gone'", message="append-only")
        self.assertEqual(self.query(dba, "SELECT v FROM orders"), [("keep",)])

    def test_insert_routed_into_a_realm_partition_is_refused(self):
        # An INSERT into the parent routes rows into partitions no range table names; ON
        # CONFLICT DO UPDATE ... RETURNING would read the existing row of ledger_1.
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "INSERT INTO ledger VALUES (1, 'x') ON CONFLICT (id) "
                             "DO UPDATE SET id = excluded.id RETURNING v", message="one_partition")
        self.assert_sqlstate("42501", dba, "INSERT INTO ledger VALUES (3, 'x')")
        self.assert_sqlstate("42501", dba, "COPY ledger FROM STDIN")
        self.assertEqual(self.query(dba, "SELECT v FROM ledger_2"), [("open",)])

    def test_truncate_of_a_parent_checks_its_partitions(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "TRUNCATE ledger", message="one_partition")
        self.assert_sqlstate("42501", dba, "TRUNCATE legacy")
        self.assertEqual(self.query(dba, "SELECT count(*) FROM ledger_2"), [(1,)])

    def test_unlocked_session_reads_partitions_and_toast(self):
        dba = self.connect("dba")
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('store', 'store-pw-1')")
        self.assertEqual(self.query(dba, "SELECT count(*) FROM measurements_a"), [(1,)])
        self.assertEqual(self.query(dba, "SELECT v FROM legacy_child"), [(MARKER,)])
        self.assertEqual(self.query(dba, "SELECT length(body) FROM documents"), [(len(BIG),)])


if __name__ == "__main__":
    main()
