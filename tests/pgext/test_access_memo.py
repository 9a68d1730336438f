"""The backend's memo of range-table accesses (pgext/access_memo.h, docs/postgresql.md
"Performance"): a backend remembers, per relation and column set, the vault object ids its
names resolved to, so that a statement it may run costs no catalog lookup. The attack: make
a backend remember an answer, then change what the answer should be — the name under the
same OID (a rename into a realm's name, of a table, a column or a schema), the policy (in
another backend and in the same one), the session's unlock — and read again with the same
statement (simple, and prepared where the statement survives the change). Each must be
decided afresh: refused."""

import pgext_cluster

PASSWORD = "vault_pw_Memo1"
LOCKED = "realm memo_realm is locked"


class AccessMemo(pgext_cluster.PgextCase):
    # The realm names objects that do not exist yet (membership is by name): renaming an
    # unprotected table, column or schema into those names must protect it at once.
    OWNER_SQL = """
        CREATE TABLE memo_open (id int, note text);
        INSERT INTO memo_open VALUES (1, 'a');
        CREATE TABLE memo_cols (id int, plain text);
        INSERT INTO memo_cols VALUES (1, 'b');
        CREATE SCHEMA memo_s1;
        CREATE TABLE memo_s1.memo_t (id int);
        INSERT INTO memo_s1.memo_t VALUES (1);
        CREATE TABLE memo_later (id int);
        INSERT INTO memo_later VALUES (1);
        CREATE TABLE memo_own (id int);
        INSERT INTO memo_own VALUES (1);
        GRANT SELECT ON memo_own TO secadmin;
        CREATE TABLE memo_locked (id int);
        INSERT INTO memo_locked VALUES (1);
    """
    VAULT_SETUP = (f"CREATE REALM memo_realm REQUIRE VAULT PASSWORD '{PASSWORD}'",
                   "ALTER REALM memo_realm ADD TABLE memo_secret, TABLE memo_secret2, "
                   "COLUMN memo_cols.ssn, TABLE memo_s2.memo_t, TABLE memo_locked")

    def setUp(self) -> None:
        self.dba = self.connect("dba")

    def read_twice(self, connection, sql: str) -> None:
        """Reads, simple and prepared, so that the backend remembers both statements."""
        self.query(connection, sql)
        self.query(connection, "PREPARE memo_p AS " + sql)
        self.addCleanup(self.query, connection, "DEALLOCATE memo_p")
        self.query(connection, "EXECUTE memo_p")
        self.query(connection, "EXECUTE memo_p")

    def assert_refused_both_ways(self, connection, sql: str) -> None:
        self.assert_sqlstate("42501", connection, sql, message=LOCKED)
        self.assert_sqlstate("42501", connection, "EXECUTE memo_p", message=LOCKED)

    def assert_renamed_refused(self, connection, sql: str) -> None:
        """The same relation (OID) and columns under their new name: the memo's key, which
        must not answer with the old name's ids. (A statement prepared under the old name
        is parsed again from its text when the rename invalidates it: 42P01.)"""
        self.assert_sqlstate("42501", connection, sql, message=LOCKED)

    def test_a_table_renamed_into_a_realm_name_is_refused_at_once(self):
        self.read_twice(self.dba, "SELECT id FROM memo_open")
        self.query(self.dba, "ALTER TABLE memo_open RENAME TO memo_secret")
        self.assert_renamed_refused(self.dba, "SELECT id FROM memo_secret")

    def test_a_column_renamed_into_a_realm_name_is_refused_at_once(self):
        self.read_twice(self.dba, "SELECT id, plain FROM memo_cols")
        self.query(self.dba, "ALTER TABLE memo_cols RENAME COLUMN plain TO ssn")
        self.assert_renamed_refused(self.dba, "SELECT id, ssn FROM memo_cols")

    def test_a_schema_renamed_into_a_realm_name_is_refused_at_once(self):
        self.read_twice(self.dba, "SELECT id FROM memo_s1.memo_t")
        self.query(self.dba, "ALTER SCHEMA memo_s1 RENAME TO memo_s2")
        self.assert_renamed_refused(self.dba, "SELECT id FROM memo_s2.memo_t")

    def test_a_rename_in_another_backend_is_refused_at_the_next_statement(self):
        reader = self.connect("dba")
        self.query(self.dba, "CREATE TABLE memo_other (id int)")
        self.read_twice(reader, "SELECT id FROM memo_other")
        self.query(self.dba, "ALTER TABLE memo_other RENAME TO memo_secret2")
        self.assert_renamed_refused(reader, "SELECT id FROM memo_secret2")

    def test_a_policy_change_in_another_backend_is_decided_afresh(self):
        self.read_twice(self.dba, "SELECT id FROM memo_later")
        secadmin = self.connect("secadmin")
        self.vault(secadmin, "ALTER REALM memo_realm ADD TABLE memo_later")
        self.addCleanup(self.vault, secadmin, "ALTER REALM memo_realm REMOVE TABLE memo_later")
        self.assert_refused_both_ways(self.dba, "SELECT id FROM memo_later")

    def test_a_policy_change_in_the_same_backend_is_decided_afresh(self):
        # A table the vault has never known (no id yet): ids resolved before the change are
        # those of another snapshot.
        secadmin = self.connect("secadmin")
        self.read_twice(secadmin, "SELECT id FROM memo_own")
        self.vault(secadmin, "ALTER REALM memo_realm ADD TABLE memo_own")
        self.addCleanup(self.vault, secadmin, "ALTER REALM memo_realm REMOVE TABLE memo_own")
        self.assert_refused_both_ways(secadmin, "SELECT id FROM memo_own")

    def test_lock_realm_ends_a_remembered_admission(self):
        self.query(self.dba, "SELECT * FROM dbvault.unlock_realm('memo_realm', %s)", (PASSWORD,))
        self.read_twice(self.dba, "SELECT id FROM memo_locked")
        self.query(self.dba, "SELECT dbvault.lock_realm('memo_realm')")
        self.assert_refused_both_ways(self.dba, "SELECT id FROM memo_locked")


if __name__ == "__main__":
    pgext_cluster.main()
