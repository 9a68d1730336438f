"""The frame of every real-client test: one server per test file, real client programs.

A test file defines unittest.TestCase classes deriving from ServerCase and ends with
`client_case.main()`. The server (dbvault unless DBVAULT_TEST_SERVER=postgresql) starts
once per class in a temporary directory and must exit 0 on SIGTERM at the end; a server
that cannot run here makes the whole file exit 77 (ctest: skipped).
"""

import os
import signal
import subprocess
import time
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg2  # noqa: E402

import harness  # noqa: E402

CLIENTS_DIR = Path(__file__).resolve().parent


class ServerCase(unittest.TestCase):
    """Starts `server` for the class. Options for harness.start go in SERVER_OPTIONS, per
    kind: {"dbvault": {...}, "postgresql": {...}}."""

    SERVER_OPTIONS: dict[str, dict] = {}
    server: harness.Server
    kind: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.kind = harness.requested_kind()
        cls._workdir_context = harness.temp_workdir(cls.__name__.lower())
        workdir = cls._workdir_context.__enter__()
        try:
            cls.server = harness.start(cls.kind, workdir, **cls.SERVER_OPTIONS.get(cls.kind, {}))
        except BaseException:
            cls._workdir_context.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            status = cls.server.stop()
            if status != 0:
                raise AssertionError(f"{cls.kind} exited {status} on SIGTERM (expected 0)\n"
                                     + harness.server.log_tail(cls.server.log_path))
        finally:
            cls._workdir_context.__exit__(None, None, None)

    # --- helpers for the tests -----------------------------------------------------------
    def connect(self, user: str = "dba", password: str | None = None, **params: str):
        """A psycopg2 connection in autocommit mode, closed at the end of the test."""
        connection = psycopg2.connect(**self.server.conninfo(user, password, **params))
        connection.autocommit = True
        self.addCleanup(connection.close)
        return connection

    @classmethod
    def execute(cls, *statements: str, user: str = "dba", params=None) -> list[tuple]:
        """Runs statements in order on one fresh connection; returns the last one's rows."""
        connection = psycopg2.connect(**cls.server.conninfo(user))
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    @classmethod
    def tablespace_file(cls, name: str):
        """The file of tablespace `name`, as vault.tablespaces names it (data/ts_<file id>.db)."""
        rows = cls.execute("SELECT file FROM vault.tablespaces WHERE name = %s", user="auditor",
                           params=(name,))
        if len(rows) != 1:
            raise AssertionError(f"vault.tablespaces has no tablespace {name}")
        return cls.server.data_dir / rows[0][0]

    def run_client(self, command: list[str], user: str = "dba", password: str | None = None,
                   input_text: str | None = None, timeout: float = 120, check: bool = True,
                   extra_env: dict[str, str] | None = None,
                   **params: str) -> subprocess.CompletedProcess:
        """Runs a client program with PGHOST, PGPORT, PGUSER, ... set for `user` (params:
        more libpq keywords), plus extra_env."""
        env = self.server.libpq_env(user, password, **params) | (extra_env or {})
        result = subprocess.run(command, env=env,
                                input=input_text, capture_output=True, text=True,
                                timeout=timeout, cwd=self.server.workdir)
        if check and result.returncode != 0:
            self.fail(f"{' '.join(command)} exited {result.returncode}\nstdout:\n"
                      f"{result.stdout}\nstderr:\n{result.stderr}")
        return result

    def known_gap(self, what: str) -> None:
        """Skips the rest of a test on dbvault while the server lacks `what` (say so in
        docs/testing.md); PostgreSQL still runs it, so the test stays checked."""
        if self.kind == "dbvault":
            self.skipTest(f"known gap in dbvault: {what}")

    def reload_config(self, *lines: str) -> str:
        """dbvault only: rewrites dbvault.conf as `dbvault init` wrote it plus `lines`, sends
        SIGHUP, and returns the log text the reload wrote (docs/server.md, "Reloading")."""
        conf = self.server.data_dir / "dbvault.conf"
        original = conf.with_suffix(".conf.orig")
        if not original.exists():
            original.write_text(conf.read_text())
        conf.write_text(original.read_text() + "\n" + "\n".join(lines) + "\n")
        before = len(self.server.log_path.read_text(errors="replace"))
        os.kill(self.server.pid, signal.SIGHUP)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            text = self.server.log_path.read_text(errors="replace")[before:]
            if "SIGHUP: configuration reloaded" in text or "not reloaded, the previous" in text:
                return text
            time.sleep(0.05)
        self.fail("the server did not report the reload within 20 s")

    def require_dbvault(self) -> None:
        """For the parts of a test that exercise the vault, which PostgreSQL does not have."""
        if self.kind != "dbvault":
            self.skipTest("vault statements need the dbvault server")


def main() -> None:
    """unittest.main(), with exit 77 when the server cannot run here."""
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    unavailable = [e for _, e in result.errors if "ServerUnavailable" in e]
    if unavailable and len(unavailable) == len(result.errors) and not result.failures:
        message = unavailable[0].strip().splitlines()[-1]
        harness.skip_or_fail(harness.ServerUnavailable(message))
    sys.exit(0 if result.wasSuccessful() else 1)
