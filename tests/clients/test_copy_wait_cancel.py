#!/usr/bin/python3
"""A COPY FROM STDIN whose client pauses between two CopyData messages obeys a cancel request and
statement_timeout, as in PostgreSQL: it ends with 57014, none of its rows are kept, and the
session is usable afterwards. (Before, the server waited for the client without looking: the
cancel interrupted no engine statement and was lost, and the COPY went through.)

psycopg2's copy_expert reads the data from a file object; the one here pauses on its second
read, as a client does that produces its rows slowly. PostgreSQL acts on the cancel at the next
row once the data resumes; dbvault at once (it also polls while it waits). Both refuse the COPY.
Runs against the PostgreSQL 15 reference too.
"""

import io
import threading
import time

import psycopg2

import client_case


class SlowData(io.RawIOBase):
    """Rows "1\\n" .. "3\\n", one per read, with a pause before the second one."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.rows = [b"1\n", b"2\n", b"3\n"]

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if len(self.rows) == 2:
            time.sleep(self.pause)
        return self.rows.pop(0) if self.rows else b""


class CopyWaitCancel(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE cw (v INTEGER)")

    def copy_slowly(self, connection, pause: float) -> tuple[psycopg2.Error, float]:
        started = time.monotonic()
        with self.assertRaises(psycopg2.Error) as caught:
            connection.cursor().copy_expert("COPY cw FROM STDIN", SlowData(pause), size=8)
        return caught.exception, time.monotonic() - started

    def assert_table_empty_and_session_usable(self, connection) -> None:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM cw")
        self.assertEqual(cursor.fetchall(), [(0,)])
        cursor.copy_expert("COPY cw FROM STDIN", io.BytesIO(b"7\n"))
        self.assertEqual(self.execute("SELECT v FROM cw"), [(7,)])
        cursor.execute("DELETE FROM cw")

    def test_a_cancel_stops_a_copy_waiting_for_data(self) -> None:
        connection = self.connect()
        connection.autocommit = True
        threading.Timer(0.3, connection.cancel).start()
        error, waited = self.copy_slowly(connection, pause=1.5)
        self.assertEqual(error.pgcode, "57014", str(error))
        self.assertIn("user request", error.diag.message_primary)
        self.assertLess(waited, 5.0)
        self.assert_table_empty_and_session_usable(connection)

    def test_statement_timeout_stops_a_copy_waiting_for_data(self) -> None:
        connection = self.connect()
        connection.autocommit = True
        connection.cursor().execute("SET statement_timeout = 300")
        error, _ = self.copy_slowly(connection, pause=1.5)
        self.assertEqual(error.pgcode, "57014", str(error))
        self.assertIn("statement timeout", error.diag.message_primary)
        connection.cursor().execute("SET statement_timeout = 0")
        self.assert_table_empty_and_session_usable(connection)

    def test_a_cancel_while_idle_does_not_carry_over_to_the_next_copy(self) -> None:
        connection = self.connect()
        connection.autocommit = True
        connection.cancel()
        time.sleep(0.3)
        connection.cursor().copy_expert("COPY cw FROM STDIN", SlowData(pause=0.3), size=8)
        self.assertEqual(self.execute("SELECT v FROM cw ORDER BY v"), [(1,), (2,), (3,)])
        connection.cursor().execute("DELETE FROM cw")


if __name__ == "__main__":
    client_case.main()
