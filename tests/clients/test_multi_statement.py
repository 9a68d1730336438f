#!/usr/bin/python3
"""A query string of several statements is one implicit transaction, as in PostgreSQL
(protocol docs, "Multiple Statements in a Simple Query"): psycopg2 in autocommit mode sends
`cursor.execute("a; b; c")` as one Query message, and so does `psql -c 'a; b; c'`. An error
rolls back everything of the string not yet committed and the rest is skipped (ReadyForQuery
'I'), a COMMIT inside keeps what came before, a BEGIN inside opens an ordinary block (the
statements before it included), SAVEPOINT is 25P01, DISCARD ALL 25001, and on dbvault a vault
statement that changes the policy is 25001 with the hint to send it on its own."""

import psycopg2
import psycopg2.extensions as ext

import client_case

PSQL = "/usr/bin/psql"
OWN_QUERY_HINT = "Send it as a query of its own."
CLERK_PASSWORD = "ms-clerk-password-1"
SPACE_REALM_PASSWORD = "ms-space-realm-password-1"


class MultiStatement(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE ms (id INTEGER PRIMARY KEY, v TEXT)")
        if cls.kind == "dbvault":
            cls.execute("CREATE TABLE ms_secret (id INTEGER PRIMARY KEY, v TEXT)",
                        "INSERT INTO ms_secret VALUES (1, 'classified')")
            cls.execute("CREATE REALM ms_realm REQUIRE VAULT PASSWORD 'ms-realm-password-1'",
                        "ALTER REALM ms_realm ADD TABLE ms_secret", user="secadmin")
            # A realm's table in an encrypted tablespace: its key is released only to a
            # session that unlocked the realm, and attached outside a transaction.
            cls.execute("CREATE TABLESPACE ms_space ENCRYPTION USING 'AES256'", user="secadmin")
            cls.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY, note TEXT) TABLESPACE ms_space",
                        f"CREATE USER ms_clerk PASSWORD '{CLERK_PASSWORD}'",
                        "GRANT SELECT, INSERT ON ms_space.cards TO ms_clerk")
            cls.execute(f"CREATE REALM ms_space_realm REQUIRE VAULT PASSWORD "
                        f"'{SPACE_REALM_PASSWORD}'",
                        "ALTER REALM ms_space_realm ADD TABLE ms_space.cards",
                        "ALTER REALM ms_space_realm AUTHORIZE USER ms_clerk", user="secadmin")

    def setUp(self) -> None:
        self.execute("DELETE FROM ms")

    def ids(self) -> list[int]:
        return [r[0] for r in self.execute("SELECT id FROM ms ORDER BY id")]

    def failing(self, cursor, sql: str) -> psycopg2.Error:
        with self.assertRaises(psycopg2.Error) as caught:
            cursor.execute(sql)
        return caught.exception

    def psql(self, command: str, user: str = "dba"):
        return self.run_client([PSQL, "-X", "-v", "ON_ERROR_STOP=1", "-c", command], user=user,
                               check=False)

    # --- psycopg2 ------------------------------------------------------------------------
    def test_error_rolls_back_the_whole_string(self):
        connection = self.connect()
        cursor = connection.cursor()
        error = self.failing(cursor, "INSERT INTO ms VALUES (1, 'a'); INSERT INTO ms VALUES "
                                     "(2, 'b'); INSERT INTO ms VALUES (1, 'dup'); "
                                     "INSERT INTO ms VALUES (3, 'c')")
        self.assertEqual(error.pgcode, "23505")
        self.assertEqual(connection.info.transaction_status, ext.TRANSACTION_STATUS_IDLE)
        self.assertEqual(self.ids(), [])
        cursor.execute("SELECT 1")  # not a failed block
        self.assertEqual(cursor.fetchall(), [(1,)])

    def test_string_without_error_commits(self):
        cursor = self.connect().cursor()
        cursor.execute("INSERT INTO ms VALUES (1, 'a'); INSERT INTO ms VALUES (2, 'b'); "
                       "SELECT count(*) FROM ms")
        self.assertEqual(cursor.fetchall(), [(2,)])
        self.assertEqual(self.ids(), [1, 2])

    def test_commit_inside_keeps_what_came_before(self):
        cursor = self.connect().cursor()
        error = self.failing(cursor, "INSERT INTO ms VALUES (1, 'kept'); COMMIT; INSERT INTO ms "
                                     "VALUES (2, 'lost'); INSERT INTO ms VALUES (1, 'dup')")
        self.assertEqual(error.pgcode, "23505")
        self.assertEqual(self.ids(), [1])

    def test_rollback_inside_undoes_what_came_before(self):
        cursor = self.connect().cursor()
        cursor.execute("INSERT INTO ms VALUES (1, 'undone'); ROLLBACK; "
                       "INSERT INTO ms VALUES (2, 'after')")
        self.assertEqual(self.ids(), [2])

    def test_begin_inside_opens_a_block_with_what_came_before(self):
        connection = self.connect()
        cursor = connection.cursor()
        cursor.execute("INSERT INTO ms VALUES (1, 'before'); BEGIN; INSERT INTO ms VALUES (2, 'in')")
        self.assertEqual(connection.info.transaction_status, ext.TRANSACTION_STATUS_INTRANS)
        self.assertEqual(self.ids(), [])  # another session sees nothing yet
        cursor.execute("ROLLBACK")
        self.assertEqual(self.ids(), [])
        cursor.execute("INSERT INTO ms VALUES (1, 'before'); BEGIN; INSERT INTO ms VALUES (2, 'in'); "
                       "COMMIT")
        self.assertEqual(connection.info.transaction_status, ext.TRANSACTION_STATUS_IDLE)
        self.assertEqual(self.ids(), [1, 2])

    def test_error_after_begin_inside_fails_the_block(self):
        connection = self.connect()
        cursor = connection.cursor()
        error = self.failing(cursor, "INSERT INTO ms VALUES (1, 'a'); BEGIN; "
                                     "INSERT INTO ms VALUES (1, 'dup')")
        self.assertEqual(error.pgcode, "23505")
        self.assertEqual(connection.info.transaction_status, ext.TRANSACTION_STATUS_INERROR)
        self.assertEqual(self.failing(cursor, "SELECT 1").pgcode, "25P02")
        cursor.execute("ROLLBACK")
        self.assertEqual(self.ids(), [])

    def test_set_is_rolled_back_and_set_local_lasts_the_string(self):
        cursor = self.connect().cursor()
        error = self.failing(cursor, "SET application_name = 'lost'; SELECT * FROM no_such_table")
        self.assertEqual(error.pgcode, "42P01")
        cursor.execute("SHOW application_name")
        self.assertEqual(cursor.fetchall(), [("",)])
        cursor.execute("SET LOCAL application_name = 'local'; SHOW application_name")
        self.assertEqual(cursor.fetchall(), [("local",)])
        cursor.execute("SHOW application_name")
        self.assertEqual(cursor.fetchall(), [("",)])

    def test_savepoint_in_the_implicit_block(self):
        connection = self.connect()
        cursor = connection.cursor()
        for statement in ("SAVEPOINT s", "RELEASE SAVEPOINT s", "ROLLBACK TO SAVEPOINT s"):
            error = self.failing(cursor, f"INSERT INTO ms VALUES (1, 'a'); {statement}")
            self.assertEqual(error.pgcode, "25P01", statement)
            self.assertEqual(error.diag.message_primary,
                             f"{statement.rsplit(' ', 1)[0]} can only be used in transaction "
                             "blocks")
            self.assertEqual(connection.info.transaction_status, ext.TRANSACTION_STATUS_IDLE)
        self.assertEqual(self.ids(), [])
        cursor.execute("BEGIN; SAVEPOINT s; INSERT INTO ms VALUES (1, 'a'); ROLLBACK TO SAVEPOINT "
                       "s; INSERT INTO ms VALUES (2, 'b'); COMMIT")
        self.assertEqual(self.ids(), [2])

    def test_discard_all_in_a_string(self):
        cursor = self.connect().cursor()
        for sql in ("INSERT INTO ms VALUES (1, 'a'); DISCARD ALL",
                    "DISCARD ALL; INSERT INTO ms VALUES (1, 'a')"):
            error = self.failing(cursor, sql)
            self.assertEqual(error.pgcode, "25001", sql)
            self.assertEqual(error.diag.message_primary,
                             "DISCARD ALL cannot run inside a transaction block")
        self.assertEqual(self.ids(), [])
        cursor.execute("DISCARD ALL")

    def test_vault_statement_in_a_string_is_refused(self):
        self.require_dbvault()
        connection = self.connect()
        cursor = connection.cursor()
        for sql in ("INSERT INTO ms VALUES (1, 'a'); CREATE ROLE ms_role",
                    "CREATE ROLE ms_role; INSERT INTO ms VALUES (1, 'a')"):
            error = self.failing(cursor, sql)
            self.assertEqual(error.pgcode, "25001", sql)
            self.assertIn("CREATE ROLE cannot run inside a transaction block",
                          error.diag.message_primary)
            self.assertEqual(error.diag.message_hint, OWN_QUERY_HINT)
            self.assertEqual(connection.info.transaction_status, ext.TRANSACTION_STATUS_IDLE)
        self.assertEqual(self.ids(), [])
        # Inside an explicit block (BEGIN in the string) as before: refused, the block failed.
        error = self.failing(cursor, "BEGIN; CREATE ROLE ms_role")
        self.assertEqual(error.pgcode, "25001")
        self.assertEqual(connection.info.transaction_status, ext.TRANSACTION_STATUS_INERROR)
        cursor.execute("ROLLBACK")
        cursor.execute("CREATE ROLE ms_role")  # never made before: no 42710

    def test_session_statements_run_in_a_string(self):
        self.require_dbvault()
        cursor = self.connect().cursor()
        cursor.execute("UNLOCK REALM ms_realm PASSWORD 'ms-realm-password-1'; "
                       "SELECT v FROM ms_secret")
        self.assertEqual(cursor.fetchall(), [("classified",)])
        error = self.failing(cursor, "INSERT INTO ms VALUES (1, 'a'); LOCK REALM ms_realm; "
                                     "SELECT v FROM ms_secret")
        self.assertEqual(error.pgcode, "42501")
        self.assertEqual(self.ids(), [])

    def test_unlock_in_a_string_opens_the_tablespace_for_the_rest(self):
        # The string's engine transaction begins after the UNLOCK (at the first statement that
        # needs the engine), so the tablespace its key opened is attached for the SELECT.
        self.require_dbvault()
        with self.connect("ms_clerk", CLERK_PASSWORD).cursor() as cursor:
            cursor.execute(f"UNLOCK REALM ms_space_realm PASSWORD '{SPACE_REALM_PASSWORD}'; "
                           "INSERT INTO ms_space.cards VALUES (1, 'in the string'); "
                           "SELECT note FROM ms_space.cards")
            self.assertEqual(cursor.fetchall(), [("in the string",)])
            error = self.failing(cursor, "INSERT INTO ms_space.cards VALUES (2, 'undone'); "
                                         "INSERT INTO ms_space.cards VALUES (1, 'dup')")
            self.assertEqual(error.pgcode, "23505")
            cursor.execute("SELECT id FROM ms_space.cards ORDER BY id")
            self.assertEqual(cursor.fetchall(), [(1,)])

    # --- psql -c ---------------------------------------------------------------------------
    def test_psql_error_rolls_back_the_string(self):
        result = self.psql("INSERT INTO ms VALUES (1, 'a'); INSERT INTO ms VALUES (2, 'b'); "
                           "INSERT INTO ms VALUES (1, 'dup')")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ERROR:", result.stderr)
        self.assertEqual(self.ids(), [])
        result = self.psql("INSERT INTO ms VALUES (1, 'kept'); COMMIT; "
                           "INSERT INTO ms VALUES (1, 'dup')")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(self.ids(), [1])

    def test_psql_savepoint_in_a_string(self):
        result = self.psql("INSERT INTO ms VALUES (1, 'a'); SAVEPOINT s")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SAVEPOINT can only be used in transaction blocks", result.stderr)
        self.assertEqual(self.ids(), [])

    def test_psql_vault_statement_in_a_string(self):
        self.require_dbvault()
        result = self.psql("INSERT INTO ms VALUES (1, 'a'); CREATE ROLE ms_psql_role")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("CREATE ROLE cannot run inside a transaction block", result.stderr)
        self.assertIn("HINT:  " + OWN_QUERY_HINT, result.stderr)
        self.assertEqual(self.ids(), [])
        result = self.psql("SELECT 1; CREATE REALM ms_psql_realm DESCRIPTION 'x'", user="secadmin")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("CREATE REALM cannot run inside a transaction block", result.stderr)
        rows = self.execute("SELECT count(*) FROM vault.realms WHERE realm = 'ms_psql_realm'",
                            user="auditor")
        self.assertEqual(rows, [(0,)])
        # Each on its own runs (and neither was made before: no 42710).
        result = self.psql("CREATE ROLE ms_psql_role")
        self.assertEqual(result.returncode, 0, result.stderr)
        result = self.psql("CREATE REALM ms_psql_realm DESCRIPTION 'x'", user="secadmin")
        self.assertEqual(result.returncode, 0, result.stderr)

if __name__ == "__main__":
    client_case.main()
