#!/usr/bin/python3
"""A statement waiting for a lock obeys statement_timeout and a cancel request, as in PostgreSQL
(docs/engine.md, "Locks"): it stops with 57014 when the timeout or the cancel comes, instead of
waiting out the engine's lock timeout (5 s, then 55P03), which is what it did before stop 27
(SQLite 3.40's busy handler does not see sqlite3_interrupt).

Session A holds the write lock (an UPDATE inside BEGIN); session B updates the same row:
- with `SET statement_timeout = 300`: 57014 "canceling statement due to statement timeout",
  well before 5 s;
- with a CancelRequest 0.3 s in: 57014 "canceling statement due to user request";
- the next statement of B, neither timed out nor cancelled, waits again (dbvault: the 5 s lock
  timeout, 55P03; the cancel of the previous statement does not carry over);
- once A commits, B's update goes through.
Runs against the PostgreSQL 15 reference too (but for the 5 s wait, which PostgreSQL does not
have: it waits for as long as the lock is held).
"""

import threading
import time

import psycopg2

import client_case

PROMPT = 2.0  # well under the 5 s lock timeout: the stop came from the timeout or the cancel


class LockWaitCancel(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE lw (id INTEGER PRIMARY KEY, v INTEGER)",
                    "INSERT INTO lw VALUES (1, 0)")

    def holder(self):
        a = self.connect()
        cursor = a.cursor()
        cursor.execute("BEGIN")
        cursor.execute("UPDATE lw SET v = 1 WHERE id = 1")
        return a

    def blocked(self, cursor, sql: str) -> tuple[psycopg2.Error, float]:
        started = time.monotonic()
        with self.assertRaises(psycopg2.Error) as caught:
            cursor.execute(sql)
        return caught.exception, time.monotonic() - started

    def test_statement_timeout_stops_a_lock_wait(self):
        a = self.holder()
        b = self.connect()
        cursor = b.cursor()
        cursor.execute("SET statement_timeout = 300")
        error, waited = self.blocked(cursor, "UPDATE lw SET v = 2 WHERE id = 1")
        self.assertEqual(error.pgcode, "57014", str(error))
        self.assertIn("statement timeout", error.diag.message_primary)
        self.assertLess(waited, PROMPT)
        a.cursor().execute("COMMIT")
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("UPDATE lw SET v = 3 WHERE id = 1")
        self.assertEqual(self.execute("SELECT v FROM lw WHERE id = 1"), [(3,)])

    def test_a_cancel_stops_a_lock_wait_and_does_not_carry_over(self):
        a = self.holder()
        b = self.connect()
        cursor = b.cursor()
        threading.Timer(0.3, b.cancel).start()
        error, waited = self.blocked(cursor, "UPDATE lw SET v = 2 WHERE id = 1")
        self.assertEqual(error.pgcode, "57014", str(error))
        self.assertIn("user request", error.diag.message_primary)
        self.assertLess(waited, PROMPT)
        if self.kind == "dbvault":
            # The next statement waits the whole lock timeout: the cancel was this one's.
            error, waited = self.blocked(cursor, "UPDATE lw SET v = 2 WHERE id = 1")
            self.assertEqual(error.pgcode, "55P03", str(error))
            self.assertGreater(waited, 4.0)
        a.cursor().execute("COMMIT")
        cursor.execute("UPDATE lw SET v = 4 WHERE id = 1")
        self.assertEqual(self.execute("SELECT v FROM lw WHERE id = 1"), [(4,)])


if __name__ == "__main__":
    client_case.main()
