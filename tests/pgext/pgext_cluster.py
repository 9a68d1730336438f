"""A PostgreSQL 15 cluster with the dbvault module preloaded, for tests/pgext.

Built on the reference server of tests/clients (harness.postgres_server): initdb in a
temporary directory owned by the `postgres` user (the machine runs as root; every PostgreSQL
program runs through runuser), a free port, TLS, SCRAM for TCP logins. On top of it:

- shared_preload_libraries is the full path of the module in the build tree
  (DBVAULT_PGEXT_MODULE), so nothing is copied into /usr/lib/postgresql;
- PostgreSQL 15 has no extension_control_path, so instead of CREATE EXTENSION the fixture
  runs the extension's own script (DBVAULT_PGEXT_SQL, pgext/dbvault--0.1.sql) with psql
  after replacing MODULE_PATHNAME by that path: the same objects CREATE EXTENSION makes;
- the login roles are NOT superusers: dba (CREATEDB), secadmin, auditor — the vault's
  bootstrap accounts, matched by name — and app (a PostgreSQL role the vault does not know).

The module writes its stores under <pgdata>/dbvault/.
"""

import os
import re
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients"))

import psycopg2  # noqa: E402
import psycopg2.errors  # noqa: E402

import harness  # noqa: E402
from harness.dbvault_server import DbvaultServer  # noqa: E402
from harness.postgres_server import PG_BINDIR, PostgresServer  # noqa: E402
from harness.server import generate_password  # noqa: E402

# Defaults: the default preset's build tree and the source tree (for a run by hand).
_ROOT = Path(__file__).resolve().parents[2]
MODULE = os.environ.get("DBVAULT_PGEXT_MODULE", str(_ROOT / "build" / "pgext" / "dbvault.so"))
SQL_SCRIPT = os.environ.get("DBVAULT_PGEXT_SQL", str(_ROOT / "pgext" / "dbvault--0.1.sql"))
ROLES = ("dba", "secadmin", "auditor", "app")
# The line each backend logs at exit with dbvault.decision_timing on (pgext/decision_timing.h).
TIMING_LINE = re.compile(r"dbvault decision_timing application=(\S+) ((?:\w+=\d+ ?)+)")


class PgextServer(PostgresServer):
    kind = "pgext"  # the SQL runner's name for it (onlyif / skipif pgext)

    def __init__(self, workdir: Path, settings: dict[str, str] | None = None,
                 preload: tuple[str, ...] = (), test_clock: bool = False):
        """`preload`: other libraries to load before the module (e.g. pg_stat_statements).
        `test_clock`: the module's clock is the real one plus the offset in workdir/clock
        (dbvault.test_clock_file, allowed by DBVAULT_ALLOW_TEST_CLOCK=1 in the postmaster's
        environment), moved by advance_clock() / set_clock() as dbvault serve's is."""
        if not MODULE or not Path(MODULE).exists():
            raise harness.ServerUnavailable(f"no dbvault module at {MODULE!r} "
                                            "(DBVAULT_PGEXT_MODULE)")
        conf = {"shared_preload_libraries": "'" + ",".join((*preload, MODULE)) + "'"}
        self.clock_path = workdir / "clock"
        self.supports_clock = test_clock
        if test_clock:
            self.set_clock_offset(0)
            conf["dbvault.test_clock_file"] = f"'{self.clock_path}'"
            os.environ["DBVAULT_ALLOW_TEST_CLOCK"] = "1"  # inherited by pg_ctl start
        conf.update(settings or {})
        try:
            super().__init__(workdir, settings=conf)
        except BaseException:
            self._stop_started_cluster()
            raise

    def _stop_started_cluster(self) -> None:
        """After a failure past `pg_ctl start` (the accounts, the extension script), so that
        no postmaster outlives a cluster that never became a PgextServer."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run(str(PG_BINDIR / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                      "-w", "-t", "30", "stop", check=False)

    # The same clock file as dbvault serve's --test-clock-file.
    clock_offset = DbvaultServer.clock_offset
    set_clock_offset = DbvaultServer.set_clock_offset

    def _create_accounts(self) -> None:
        self.passwords.update({r: generate_password(r) for r in ROLES})
        statements = [f"CREATE ROLE {r} LOGIN PASSWORD '{self.passwords[r]}'"
                      + (" CREATEDB" if r == "dba" else "") for r in ROLES]
        statements.append(f"CREATE DATABASE {self.dbname} OWNER dba")
        for s in statements:
            self.psql_admin("postgres", s, quiet=True)
        self.psql_admin(self.dbname, "GRANT ALL ON SCHEMA public TO PUBLIC")
        script = Path(SQL_SCRIPT).read_text().replace("MODULE_PATHNAME", MODULE)
        self.psql_admin(self.dbname, script)

    def restart(self) -> None:
        """pg_ctl restart (settings read at server start)."""
        self._run(str(PG_BINDIR / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_path),
                  "-w", "-t", "60", "restart")

    def decision_timings(self, application: str, backends: int = 1,
                         timeout: float = 15.0) -> list[dict[str, int]]:
        """The dbvault.decision_timing exit lines of the backends whose application_name is
        `application`, as dicts; waits up to `timeout` for `backends` of them (a backend
        logs when it exits, after its client has gone). AssertionError when fewer came."""
        deadline = time.monotonic() + timeout
        while True:
            text = Path(self.log_path).read_text(errors="replace")
            found = [{k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}
                     for m in TIMING_LINE.finditer(text) if m.group(1) == application]
            if len(found) >= backends or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if len(found) < backends:
            raise AssertionError(f"{len(found)} of {backends} decision_timing lines of "
                                 f"{application} in {self.log_path}")
        return found

    def psql_admin(self, dbname: str, sql: str, quiet: bool = False) -> str:
        """Runs `sql` as the postgres superuser over the Unix socket; returns stdout.
        quiet=True: for SQL with a password in it, which must not reach the server log even
        when it fails (no STATEMENT line, no log_statement)."""
        if quiet:
            sql = "SET log_min_error_statement = panic;\nSET log_statement = none;\n" + sql
        return self._run(str(PG_BINDIR / "psql"), "-X", "-q", "-h", str(self.workdir), "-p",
                         str(self.port), "-U", "postgres", "-d", dbname, "-v",
                         "ON_ERROR_STOP=1", input_text=sql).stdout


class PgextCase(unittest.TestCase):
    """One cluster per test class. SETTINGS: extra postgresql.conf lines; PRELOAD: libraries
    loaded before the module; OWNER_SQL: run once as the table owner `dba` (psql, as the
    superuser with SET ROLE dba); VAULT_SETUP: vault statements run once by `secadmin`."""

    SETTINGS: dict[str, str] = {}
    PRELOAD: tuple[str, ...] = ()
    OWNER_SQL = ""
    VAULT_SETUP: tuple[str, ...] = ()
    server: PgextServer

    @classmethod
    def setUpClass(cls) -> None:
        cls._workdir_context = harness.temp_workdir("pgext-" + cls.__name__.lower())
        workdir = cls._workdir_context.__enter__()
        try:
            cls.server = PgextServer(workdir, cls.SETTINGS, cls.PRELOAD)
            if cls.OWNER_SQL:
                cls.server.psql_admin(cls.server.dbname, "SET ROLE dba;\n" + cls.OWNER_SQL)
            if cls.VAULT_SETUP:
                with psycopg2.connect(**cls.server.conninfo("secadmin")) as secadmin:
                    with secadmin.cursor() as cursor:
                        for statement in cls.VAULT_SETUP:
                            cursor.execute("SELECT * FROM dbvault.execute(%s)", (statement,))
                secadmin.close()
        except BaseException:
            cls.server_stop_quietly()
            cls._workdir_context.__exit__(None, None, None)
            raise

    @classmethod
    def server_stop_quietly(cls) -> None:
        server = getattr(cls, "server", None)
        if server is not None:
            server.stop()

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            status = cls.server.stop()
            if status != 0:
                raise AssertionError(f"postgres exited {status}\n"
                                     + harness.server.log_tail(cls.server.log_path))
        finally:
            cls._workdir_context.__exit__(None, None, None)

    def connect(self, user: str, **params: str):
        """A psycopg2 connection in autocommit mode, closed at the end of the test."""
        connection = psycopg2.connect(**self.server.conninfo(user, **params))
        connection.autocommit = True
        self.addCleanup(connection.close)
        return connection

    @staticmethod
    def query(connection, sql: str, args=None) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall() if cursor.description else []

    def vault(self, connection, statement: str) -> list[tuple]:
        """SELECT * FROM dbvault.execute(statement): (tag, result) rows."""
        return self.query(connection, "SELECT * FROM dbvault.execute(%s)", (statement,))

    def assert_sqlstate(self, sqlstate: str, connection, sql: str, args=None,
                        message: str | None = None) -> psycopg2.Error:
        """`sql` fails with `sqlstate` (and `message` in the message)."""
        with self.assertRaises(psycopg2.Error) as caught:
            self.query(connection, sql, args)
        error = caught.exception
        self.assertEqual(error.pgcode, sqlstate, f"{sql}: {error}")
        if message is not None:
            self.assertIn(message, str(error))
        return error

    def psql(self, user: str, sql: str, check: bool = True) -> subprocess.CompletedProcess:
        """psql -c `sql` as `user` over TCP (the way a DBA at a terminal works)."""
        command = [str(PG_BINDIR / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                env=self.server.libpq_env(user))
        if check and result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr}")
        return result


def main() -> None:
    """unittest.main, with exit 77 (ctest: skipped) when the cluster cannot run here."""
    if not MODULE or not Path(MODULE).exists():
        harness.skip_or_fail(harness.ServerUnavailable(f"no dbvault module at {MODULE!r}"))
    if not (PG_BINDIR / "postgres").exists():
        harness.skip_or_fail(harness.ServerUnavailable(f"no PostgreSQL 15 in {PG_BINDIR}"))
    unittest.main(verbosity=2)
