"""Test servers (dbvault and a PostgreSQL 15 reference) for the over-the-wire test suites.

Used by tests/sql/run_sql_tests.py, tests/clients/*.py and bench/pgbench_vault.py.
docs/testing.md describes the suites and the environment variables (servers.py).
"""

from .secret_scan import SecretSet, find_leaks, redact
from .server import ACCOUNTS, SKIP_EXIT_CODE, Server, ServerError, ServerUnavailable
from .servers import KINDS, requested_kind, running_server, skip_or_fail, start, temp_workdir

__all__ = ["ACCOUNTS", "KINDS", "SKIP_EXIT_CODE", "SecretSet", "Server", "ServerError",
           "ServerUnavailable", "find_leaks", "redact", "requested_kind", "running_server",
           "skip_or_fail", "start", "temp_workdir"]
