"""The common frame of the driver tests (psycopg 3, asyncpg, pgjdbc, pgx): one table with a
column of each type the drivers bind and read in binary, and (dbvault only) a realm that
protects a second table, so that every driver plays the same scenario.

Drivers in another language get the connection and the scenario through DBVAULT_TEST_*
environment variables (driver_env) and report one line per case, `ok <case>` or
`not ok <case>: <why>` (check_cases).
"""

import datetime
import decimal
import os
import re
import tempfile
from pathlib import Path

import psycopg2

import client_case

TYPES_TABLE = ("CREATE TABLE drv_types (id INTEGER PRIMARY KEY, c_int INTEGER, c_bigint BIGINT, "
               "c_text TEXT, c_numeric NUMERIC, c_bool BOOLEAN, c_bytea BYTEA, c_ts TIMESTAMP)")
COLUMNS = ("id", "c_int", "c_bigint", "c_text", "c_numeric", "c_bool", "c_bytea", "c_ts")
# Row 1 holds a value of each type that a driver could get wrong (the int4 maximum, a bigint
# beyond 2^53, quotes, a numeric with a scale, all 256 byte values, microseconds); row 2 is
# all NULL. The programs in jdbc/ and go/ check the same values.
ROW = (1, 2147483647, 9007199254740993, "it's a \"text\"; --", decimal.Decimal("12345.678"),
       True, bytes(range(256)), datetime.datetime(2025, 10, 11, 4, 30, 5, 123456))
NULL_ROW = (2, None, None, None, None, None, None, None)
SELECT_ROW = f"SELECT {', '.join(COLUMNS)} FROM drv_types WHERE id = "  # + the placeholder
SECRET_ROW = "classified-row"
REALM = "drv_realm"
REALM_PASSWORD = "drv-realm-password-42"


class DriverCase(client_case.ServerCase):
    """Creates drv_types holding ROW and NULL_ROW (written by psycopg2, which interpolates
    parameters client-side: the driver under test only reads them; ids from 10 are the
    drivers' own) and drv_secret holding SECRET_ROW, on dbvault in the locked realm REALM."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute(TYPES_TABLE, "CREATE TABLE drv_secret (id INTEGER, v TEXT)",
                    f"INSERT INTO drv_secret VALUES (1, '{SECRET_ROW}')")
        insert = f"INSERT INTO drv_types VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        for row in (ROW, NULL_ROW):
            cls.execute(insert, params=tuple(psycopg2.Binary(v) if isinstance(v, bytes) else v
                                             for v in row))
        if cls.kind == "dbvault":
            cls.execute(f"CREATE REALM {REALM} REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
                        f"ALTER REALM {REALM} ADD TABLE drv_secret", user="secadmin")

    def driver_env(self, user: str = "dba") -> dict[str, str]:
        """What a driver program needs: where the server is, who to be, the realm's name and
        password, and the server kind (the vault cases run on dbvault only)."""
        return {"DBVAULT_TEST_HOST": self.server.host, "DBVAULT_TEST_PORT": str(self.server.port),
                "DBVAULT_TEST_DBNAME": self.server.dbname, "DBVAULT_TEST_USER": user,
                "DBVAULT_TEST_PASSWORD": self.server.passwords[user],
                "DBVAULT_TEST_KIND": self.kind, "DBVAULT_TEST_REALM": REALM,
                "DBVAULT_TEST_REALM_PASSWORD": REALM_PASSWORD,
                "DBVAULT_TEST_SECRET_ROW": SECRET_ROW}

    def check_cases(self, output: str, expected: list[str],
                    known_gaps: tuple[str, ...] = ()) -> None:
        """Fails unless every case in `expected` printed `ok <case>` and none `not ok`;
        on dbvault a case in `known_gaps` may fail (client_case.ServerCase.known_gap)."""
        gaps = known_gaps if self.kind == "dbvault" else ()
        failed = [f for f in re.findall(r"(?m)^not ok (.*)$", output)
                  if f.split(":")[0] not in gaps]
        self.assertEqual(failed, [], output)
        passed = set(re.findall(r"(?m)^ok (\S+)", output))
        self.assertEqual(sorted(set(expected) - passed - set(gaps)), [], output)


def build_cache(name: str) -> Path:
    """A directory for a compiler's cache (Go's GOCACHE): in the build tree when ctest gives
    one (DBVAULT_TEST_CACHE), else under the system's temporary directory; never $HOME."""
    base = os.environ.get("DBVAULT_TEST_CACHE") or os.path.join(tempfile.gettempdir(),
                                                                 "dbvault-test-cache")
    path = Path(base) / name
    path.mkdir(parents=True, exist_ok=True)
    return path
