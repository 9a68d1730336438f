#!/usr/bin/python3
"""Debian's python3-psycopg (psycopg 3) against the server, unmodified. Unlike psycopg2 it
binds parameters on the server (Parse/Bind with the OIDs of its adapters: int2..int8 or
numeric by value, numeric, bool, bytea in binary, timestamp), reads binary results when
asked, prepares statements it sees repeatedly, and looks types up in pg_type (TypeInfo)."""

import psycopg
import psycopg.errors
from psycopg.types import TypeInfo

import driver_case

from driver_case import NULL_ROW, ROW

SELECT_ROW = driver_case.SELECT_ROW + "%s"
INSERT_ROW = f"INSERT INTO drv_types VALUES ({', '.join(['{}'] * len(ROW))})"


class Psycopg3(driver_case.DriverCase):
    def connect3(self, user: str = "dba", autocommit: bool = True, **params: str):
        connection = psycopg.connect(**self.server.conninfo(user, **params),
                                     autocommit=autocommit)
        self.addCleanup(connection.close)
        return connection

    def test_tls_and_scram_with_channel_binding(self):
        # channel_binding=require only succeeds with SCRAM-SHA-256-PLUS over TLS
        connection = self.connect3(channel_binding="require")
        self.assertTrue(connection.pgconn.ssl_in_use)
        self.assertEqual(connection.info.parameter_status("integer_datetimes"), "on")
        self.assertGreaterEqual(connection.info.server_version, 150000)

    def test_typed_parameters(self):
        connection = self.connect3()
        # %b: every parameter in binary format with the OID psycopg's dumper chose (int2, int4,
        # int8 or numeric by value); %t: text format; None is a NULL of any type
        for key, placeholder in ((100, "%b"), (101, "%t"), (102, "%s")):
            with self.subTest(placeholder=placeholder):
                for row in (ROW, NULL_ROW):
                    connection.execute(INSERT_ROW.format(*[placeholder] * len(row)),
                                       (key + 10 * row[0],) + row[1:])
                    self.assertEqual(connection.execute(SELECT_ROW, (key + 10 * row[0],))
                                     .fetchone()[1:], row[1:])

    def test_text_results_of_each_type(self):
        row = self.connect3().execute(SELECT_ROW, (1,)).fetchone()
        self.assertEqual(row, ROW)

    def test_binary_results_of_each_type(self):
        cursor = self.connect3().cursor(binary=True)
        self.assertEqual(cursor.execute(SELECT_ROW, (1,)).fetchone(), ROW)
        self.assertEqual(cursor.execute(SELECT_ROW, (2,)).fetchone(), NULL_ROW)
        oids = [column.type_code for column in cursor.description]
        self.assertEqual(oids, [23, 23, 20, 25, 1700, 16, 17, 1114])

    def test_parameters_compared_with_columns(self):
        connection = self.connect3()
        for column, value in zip(("c_int", "c_bigint", "c_text", "c_numeric", "c_bool",
                                  "c_bytea", "c_ts"), ROW[1:]):
            with self.subTest(column=column):
                for placeholder in ("%s", "%b", "%t"):
                    rows = connection.execute(f"SELECT id FROM drv_types WHERE {column} = "
                                              f"{placeholder}", (value,)).fetchall()
                    self.assertEqual(rows, [(1,)], placeholder)

    def test_prepared_statement_reused(self):
        connection = self.connect3()
        for _ in range(3):
            for key in (1, 2):
                cursor = connection.execute("SELECT id, c_text FROM drv_types WHERE id = %s",
                                            (key,), prepare=True, binary=True)
                self.assertEqual(cursor.fetchone(), (key, ROW[3] if key == 1 else None))

    def test_error_then_usable(self):
        connection = self.connect3()
        with self.assertRaises(psycopg.errors.UndefinedTable) as caught:
            connection.execute("SELECT * FROM no_such_table WHERE id = %s", (1,))
        self.assertEqual(caught.exception.sqlstate, "42P01")
        with self.assertRaises(psycopg.errors.InvalidTextRepresentation):
            connection.execute("SELECT id FROM drv_types WHERE c_int = %s::integer", ("x",))
        self.assertEqual(connection.execute("SELECT %s + 1", (41,)).fetchone(), (42,))

    def test_transaction_rolled_back(self):
        connection = self.connect3(autocommit=False)
        connection.execute("INSERT INTO drv_types (id, c_text) VALUES (%s, %s)", (30, "gone"))
        connection.rollback()
        with connection.transaction():
            connection.execute("INSERT INTO drv_types (id, c_text) VALUES (%s, %s)", (31, "kept"))
        with self.assertRaises(psycopg.errors.UniqueViolation):
            with connection.transaction():
                connection.execute("INSERT INTO drv_types (id) VALUES (%s)", (32,))
                connection.execute("INSERT INTO drv_types (id) VALUES (%s)", (31,))
        rows = connection.execute("SELECT id FROM drv_types WHERE id BETWEEN 30 AND 39 "
                                  "ORDER BY id").fetchall()
        self.assertEqual(rows, [(31,)])
        connection.rollback()

    def test_type_info_from_the_catalog(self):
        connection = self.connect3()
        for name, oid in (("numeric", 1700), ("bytea", 17), ("timestamp", 1114)):
            info = TypeInfo.fetch(connection, name)
            self.assertIsNotNone(info, name)
            self.assertEqual((info.name, info.oid), (name, oid))
        self.assertIsNone(TypeInfo.fetch(connection, "no_such_type"))

    def test_vault_scenario(self):
        self.require_dbvault()
        connection = self.connect3()
        with self.assertRaises(psycopg.errors.InsufficientPrivilege) as caught:
            connection.execute("SELECT v FROM drv_secret")
        self.assertIn(driver_case.REALM, caught.exception.diag.message_primary)
        self.assertEqual(connection.execute("SELECT 1").fetchone(), (1,))
        with self.assertRaises(psycopg.errors.InvalidPassword):
            connection.execute(f"UNLOCK REALM {driver_case.REALM} PASSWORD %s", ("not-it",))
        cursor = connection.execute(f"UNLOCK REALM {driver_case.REALM} PASSWORD %s",
                                    (driver_case.REALM_PASSWORD,))
        self.assertEqual([c.name for c in cursor.description][:2], ["realm", "token"])
        rows = connection.cursor(binary=True).execute("SELECT v FROM drv_secret").fetchall()
        self.assertEqual(rows, [(driver_case.SECRET_ROW,)])


if __name__ == "__main__":
    driver_case.client_case.main()
