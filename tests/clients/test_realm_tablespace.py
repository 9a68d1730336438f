#!/usr/bin/python3
"""One tablespace per realm, the path of today (docs/encryption.md §9.7).

VAULT_ADMIN creates a tablespace and a realm and names the realm's table in it before the
table exists; the DBA then creates the table in the tablespace. The table is the realm's from
its first row: the DBA (not authorized) cannot write or read it (42501 from the vault), the
authorized user can, and only that user's session is given the tablespace's key."""

import psycopg2

import client_case

CLERK_PASSWORD = "hr-clerk-pw-7d1c"


class RealmTablespace(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute(f"CREATE USER hrclerk PASSWORD '{CLERK_PASSWORD}'")
        cls.execute("CREATE TABLESPACE hr_ts ENCRYPTION USING 'CHACHA20'",
                    "CREATE REALM hr DESCRIPTION 'HR data'",
                    "ALTER REALM hr ADD TABLE hr_ts.salaries",
                    "ALTER REALM hr AUTHORIZE USER hrclerk", user="secadmin")
        cls.execute("CREATE TABLE salaries (id INTEGER PRIMARY KEY, amount INTEGER) "
                    "TABLESPACE hr_ts",
                    "GRANT SELECT, INSERT ON hr_ts.salaries TO hrclerk")

    def setUp(self) -> None:
        self.require_dbvault()

    def test_the_table_is_the_realms_from_birth(self) -> None:
        dba = self.connect()
        for sql in ("INSERT INTO hr_ts.salaries VALUES (1, 100)", "SELECT * FROM salaries"):
            with dba.cursor() as cursor:
                with self.assertRaises(psycopg2.Error, msg=sql) as raised:
                    cursor.execute(sql)
            self.assertEqual(raised.exception.pgcode, "42501", str(raised.exception))
        clerk = self.connect("hrclerk", CLERK_PASSWORD)
        clerk.autocommit = True
        with clerk.cursor() as cursor:
            cursor.execute("INSERT INTO hr_ts.salaries VALUES (1, 100)")
            cursor.execute("SELECT amount FROM salaries")
            self.assertEqual(cursor.fetchall(), [(100,)])
        (row,) = self.execute("SELECT realms, algorithm FROM vault.tablespaces "
                              "WHERE name = 'hr_ts'", user="auditor")
        self.assertEqual(row, ("hr", "CHACHA20-POLY1305"))


if __name__ == "__main__":
    client_case.main()
