"""Starting a test server of the kind the environment asks for, in its own temporary directory.

Environment (all optional):
  DBVAULT_TEST_SERVER   dbvault (default) or postgresql: which server the tests drive
  DBVAULT_BIN           the dbvault executable (ctest passes $<TARGET_FILE:dbvault>)
  PG_BINDIR             PostgreSQL 15's bin directory (default /usr/lib/postgresql/15/bin)
  DBVAULT_TEST_KEEP     1: keep the temporary directories (their paths are printed)
  DBVAULT_TEST_REQUIRE  1: a server that cannot run here fails the test instead of skipping it
"""

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .dbvault_server import DbvaultServer
from .postgres_server import PostgresServer
from .server import SKIP_EXIT_CODE, Server, ServerUnavailable

KINDS = ("dbvault", "postgresql")


def requested_kind() -> str:
    kind = os.environ.get("DBVAULT_TEST_SERVER", "dbvault")
    if kind not in KINDS:
        raise SystemExit(f"DBVAULT_TEST_SERVER={kind!r}: expected one of {', '.join(KINDS)}")
    return kind


@contextlib.contextmanager
def temp_workdir(tag: str) -> Iterator[Path]:
    """A fresh directory, removed afterwards unless DBVAULT_TEST_KEEP=1."""
    path = Path(tempfile.mkdtemp(prefix=f"dbvault-{tag}-"))
    try:
        yield path
    finally:
        if os.environ.get("DBVAULT_TEST_KEEP") == "1":
            print(f"kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def start(kind: str, workdir: Path, **options) -> Server:
    """Starts a server of `kind` in `workdir`.

    dbvault options: serve_args, init_args, log_level, test_clock, config. postgresql
    options: settings, durable, require_tls, hba_lines.
    Raises ServerUnavailable or ServerError (see server.py).
    """
    if kind == "dbvault":
        return DbvaultServer(workdir, **options)
    if kind == "postgresql":
        return PostgresServer(workdir, **options)
    raise ValueError(kind)


@contextlib.contextmanager
def running_server(tag: str, kind: str | None = None, **options) -> Iterator[Server]:
    """A server in a temporary directory for the duration of the block, then stopped."""
    with temp_workdir(tag) as workdir:
        server = start(kind or requested_kind(), workdir, **options)
        try:
            yield server
        finally:
            server.stop()


def skip_or_fail(error: ServerUnavailable) -> None:
    """Ends the process: exit 77 (ctest: skipped), or 1 when DBVAULT_TEST_REQUIRE=1."""
    print(f"SKIPPED: {error}", file=sys.stderr)
    sys.exit(1 if os.environ.get("DBVAULT_TEST_REQUIRE") == "1" else SKIP_EXIT_CODE)
