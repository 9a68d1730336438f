#!/usr/bin/python3
"""Debian's python3-psycopg2 against the server: simple queries, parameters (psycopg2
interpolates them client-side), types, transactions, errors with SQLSTATEs, COPY in and out
through copy_expert (text and CSV), and binary data (bytea)."""

import datetime
import decimal
import io

import psycopg2
import psycopg2.errors

import client_case


class Psycopg2(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price NUMERIC, "
                    "data BYTEA, seen TIMESTAMP)")

    def cursor(self, user: str = "dba"):
        cursor = self.connect(user).cursor()
        self.addCleanup(cursor.close)
        return cursor

    def test_simple_queries(self):
        cur = self.cursor()
        cur.execute("SELECT 1, 'two', 3.5")
        (one, two, three), = cur.fetchall()
        self.assertEqual((one, two, float(three)), (1, "two", 3.5))
        cur.execute("SELECT 1; SELECT 2")  # multi-statement: psycopg2 returns the last result
        self.assertEqual(cur.fetchone(), (2,))

    def test_parameters(self):
        cur = self.cursor()
        cur.execute("INSERT INTO items (id, name, price) VALUES (%s, %s, %s)",
                    (1, "it's a \"quoted\" name; DROP TABLE items --", decimal.Decimal("9.99")))
        cur.execute("SELECT name, price FROM items WHERE id = %(id)s", {"id": 1})
        name, price = cur.fetchone()
        self.assertEqual(name, "it's a \"quoted\" name; DROP TABLE items --")
        self.assertAlmostEqual(float(price), 9.99)
        cur.execute("SELECT count(*) FROM items WHERE name IS NULL AND id = %s", (None,))
        self.assertEqual(cur.fetchone(), (0,))

    def test_binary_data(self):
        blob = bytes(range(256)) * 4
        cur = self.cursor()
        cur.execute("INSERT INTO items (id, data) VALUES (%s, %s)", (2, psycopg2.Binary(blob)))
        cur.execute("SELECT data FROM items WHERE id = 2")
        self.assertEqual(bytes(cur.fetchone()[0]), blob)

    def test_timestamp(self):
        when = datetime.datetime(2025, 10, 11, 4, 30, 0)
        cur = self.cursor()
        cur.execute("INSERT INTO items (id, seen) VALUES (3, %s)", (when,))
        cur.execute("SELECT seen FROM items WHERE id = 3")
        value = cur.fetchone()[0]
        self.assertEqual(value if isinstance(value, str) else value.isoformat(sep=" "),
                         "2025-10-11 04:30:00")

    def test_transactions(self):
        connection = psycopg2.connect(**self.server.conninfo("dba"))
        self.addCleanup(connection.close)
        with connection.cursor() as cur:
            cur.execute("INSERT INTO items (id, name) VALUES (10, 'rolled back')")
        connection.rollback()
        with connection.cursor() as cur:
            cur.execute("INSERT INTO items (id, name) VALUES (11, 'committed')")
        connection.commit()
        cur = self.cursor()
        cur.execute("SELECT id FROM items WHERE id IN (10, 11)")
        self.assertEqual(cur.fetchall(), [(11,)])

    def test_errors_have_sqlstates(self):
        cur = self.cursor()
        with self.assertRaises(psycopg2.errors.UndefinedTable) as caught:
            cur.execute("SELECT * FROM no_such_table")
        self.assertEqual(caught.exception.pgcode, "42P01")
        with self.assertRaises(psycopg2.errors.SyntaxError):
            cur.execute("SELEC 1")
        cur.execute("SELECT 42")  # the session is usable after errors
        self.assertEqual(cur.fetchone(), (42,))

    def test_error_in_transaction_until_rollback(self):
        connection = psycopg2.connect(**self.server.conninfo("dba"))
        self.addCleanup(connection.close)
        cur = connection.cursor()
        with self.assertRaises(psycopg2.Error):
            cur.execute("SELECT * FROM no_such_table")
        with self.assertRaises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("SELECT 1")
        connection.rollback()
        cur.execute("SELECT 1")
        self.assertEqual(cur.fetchone(), (1,))

    def test_copy_expert(self):
        cur = self.cursor()
        cur.execute("CREATE TABLE copied (id INTEGER, name TEXT)")
        for fmt, data in (("", "1\tone\n2\t\\N\n3\ttab\\there\n"),
                          (" WITH (FORMAT csv)", '4,"four, with comma"\n5,\n')):
            with self.subTest(format=fmt or "text"):
                cur.copy_expert(f"COPY copied FROM STDIN{fmt}", io.StringIO(data))
        cur.execute("SELECT id, name FROM copied ORDER BY id")
        self.assertEqual(cur.fetchall(), [(1, "one"), (2, None), (3, "tab\there"),
                                          (4, "four, with comma"), (5, None)])
        out = io.StringIO()
        cur.copy_expert("COPY copied TO STDOUT", out)
        self.assertEqual(out.getvalue().splitlines()[:3], ["1\tone", "2\t\\N", "3\ttab\\there"])
        out = io.StringIO()
        cur.copy_expert("COPY (SELECT id, name FROM copied WHERE id >= 4 ORDER BY id) TO STDOUT "
                        "WITH (FORMAT csv, HEADER)", out)
        self.assertEqual(out.getvalue(), 'id,name\n4,"four, with comma"\n5,\n')

    def test_copy_error_leaves_table_unchanged(self):
        cur = self.cursor()
        cur.execute("CREATE TABLE strict_copy (id INTEGER NOT NULL)")
        with self.assertRaises(psycopg2.Error):
            cur.copy_expert("COPY strict_copy FROM STDIN", io.StringIO("1\n\\N\n"))
        cur.execute("SELECT count(*) FROM strict_copy")
        self.assertEqual(cur.fetchone(), (0,))

    def test_vault_statements_through_the_driver(self):
        self.require_dbvault()
        self.execute("CREATE TABLE py_secret (id INTEGER, v TEXT)",
                     "INSERT INTO py_secret VALUES (1, 'classified')")
        self.execute("CREATE REALM py_realm REQUIRE VAULT PASSWORD 'py-realm-password-42'",
                     "ALTER REALM py_realm ADD TABLE py_secret", user="secadmin")
        cur = self.cursor()
        with self.assertRaises(psycopg2.errors.InsufficientPrivilege) as caught:
            cur.execute("SELECT v FROM py_secret")
        self.assertIn("py_realm", caught.exception.diag.message_primary)
        with self.assertRaises(psycopg2.errors.InvalidPassword):
            cur.execute("UNLOCK REALM py_realm PASSWORD %s", ("not-it",))
        cur.execute("UNLOCK REALM py_realm PASSWORD %s", ("py-realm-password-42",))
        names = [c.name for c in cur.description]
        self.assertEqual(names[:4], ["realm", "token", "token_id", "expires_at"])
        cur.execute("SELECT v FROM py_secret")
        self.assertEqual(cur.fetchall(), [("classified",)])
        # COPY TO is an export of realm data: refused in a locked session
        locked = self.cursor()
        with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
            locked.copy_expert("COPY py_secret TO STDOUT", io.StringIO())


if __name__ == "__main__":
    client_case.main()
