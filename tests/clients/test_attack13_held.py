#!/usr/bin/python3
"""attack13: what held of the refused write's restart where the wire matters (the rest is
tests/sql/attack13/savepoint_replay.test).

- C1: `COPY p FROM STDIN` into a locked realm's table inside a block, through copy_expert
  (refused before the server asks for rows, as PostgreSQL does): 42501, no row in p, the
  block failed (E);
  with a savepoint before it, ROLLBACK TO recovers the block (T) and its COMMIT keeps the
  insert made after.
- COPY FROM STDIN refused before CopyInResponse (stop 27; until then the server took every row
  and refused the first): a plain `execute("COPY p FROM STDIN")`, which cannot send rows, gets
  42501 from the server, in autocommit and in a block; each refusal is one audit record naming
  the COPY (not the INSERT the server runs for it), also for a COPY that sends no row at all.
- S10 / S10b: a refused write in a string of several statements rolls the whole string back
  and leaves no block (I); inside a BEGIN of the string the block is failed (E), and
  `ROLLBACK TO a; INSERT ...` in one string recovers it (T).
"""

import io

import psycopg2

import client_case
from test_attack12_held import STATUS

REALM_PASSWORD = "a13h-realm-password-1"


class Held(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                    "CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT)")
        cls.execute(f"CREATE REALM rp13h REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
                    "ALTER REALM rp13h ADD TABLE p", "ALTER REALM rp13h AUTHORIZE USER dba",
                    user="secadmin")

    def setUp(self) -> None:
        self.require_dbvault()
        self.execute("DELETE FROM t")
        self.connection = self.connect()
        self.cursor = self.connection.cursor()

    def status(self) -> str:
        return STATUS[self.connection.info.transaction_status]

    def failing(self, sql: str) -> psycopg2.Error:
        with self.assertRaises(psycopg2.Error, msg=sql) as caught:
            self.cursor.execute(sql)
        return caught.exception

    def copy_into_p(self) -> psycopg2.Error:
        with self.assertRaises(psycopg2.Error, msg="COPY p FROM STDIN") as caught:
            self.cursor.copy_expert("COPY p FROM STDIN", io.StringIO("5\tcopied\n"))
        return caught.exception

    def ids(self) -> list[int]:
        return [r[0] for r in self.execute("SELECT id FROM t ORDER BY id")]

    def rows_of_p(self) -> list[tuple]:
        return self.execute(f"UNLOCK REALM rp13h PASSWORD '{REALM_PASSWORD}'",
                            "SELECT id, v FROM p")

    def test_c1_copy_refused_in_a_block(self) -> None:
        self.cursor.execute("BEGIN")
        error = self.copy_into_p()
        self.assertEqual(error.pgcode, "42501", str(error))
        self.assertIn("realm rp13h is locked", error.diag.message_primary)
        self.assertEqual(self.status(), "E")
        self.assertEqual(self.failing("SELECT 1").pgcode, "25P02")
        self.cursor.execute("ROLLBACK")
        self.assertEqual(self.status(), "I")
        # With a savepoint before it: the block recovers and commits what follows.
        self.cursor.execute("BEGIN")
        self.cursor.execute("SAVEPOINT a")
        self.assertEqual(self.copy_into_p().pgcode, "42501")
        self.assertEqual(self.status(), "E")
        self.cursor.execute("ROLLBACK TO a")
        self.assertEqual(self.status(), "T")
        self.cursor.execute("INSERT INTO t VALUES (300, 'after copy')")
        self.cursor.execute("COMMIT")
        self.assertEqual(self.ids(), [300])
        self.assertEqual(self.rows_of_p(), [])

    def test_copy_from_stdin_is_refused_before_any_row(self) -> None:
        def violations() -> int:
            return self.execute("SELECT count(*) FROM vault.audit_log WHERE event_type = "
                                "'command_rule_violation' AND json_extract(detail, '$.check') = "
                                "'realm' AND json_extract(detail, '$.query') LIKE "
                                "'COPY p (id, v) FROM STDIN'", user="auditor")[0][0]
        before = violations()
        # psycopg2's execute() has no rows to send: only a refusal before CopyInResponse
        # reaches it as the server's 42501 (after CopyInResponse it fails on the client side).
        error = self.failing("COPY p FROM STDIN")
        self.assertEqual(error.pgcode, "42501", str(error))
        self.assertIn("realm rp13h is locked", error.diag.message_primary)
        self.assertEqual(self.status(), "I")
        self.cursor.execute("BEGIN")
        self.assertEqual(self.failing("COPY p (id, v) FROM STDIN").pgcode, "42501")
        self.assertEqual(self.status(), "E")
        self.cursor.execute("ROLLBACK")
        self.assertEqual(self.rows_of_p(), [])
        self.assertEqual(violations(), before + 2)  # one record per refused COPY

    def test_s10_refused_write_in_strings(self) -> None:
        error = self.failing("SELECT 1; DELETE FROM p; INSERT INTO t VALUES (10, 'x')")
        self.assertEqual(error.pgcode, "42501")
        self.assertEqual(self.status(), "I")
        self.assertEqual(self.ids(), [])
        error = self.failing("BEGIN; SAVEPOINT a; DELETE FROM p; INSERT INTO t VALUES (11, 'x')")
        self.assertEqual(error.pgcode, "42501")
        self.assertEqual(self.status(), "E")
        self.cursor.execute("ROLLBACK TO a; INSERT INTO t VALUES (12, 'after')")
        self.assertEqual(self.status(), "T")
        self.cursor.execute("SELECT id FROM t")
        self.assertEqual(self.cursor.fetchall(), [(12,)])
        self.cursor.execute("COMMIT")
        self.assertEqual(self.status(), "I")
        self.assertEqual(self.ids(), [12])


if __name__ == "__main__":
    client_case.main()
