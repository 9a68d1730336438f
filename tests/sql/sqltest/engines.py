"""The servers a .test file can run on, and how the runner talks to each.

  dbvault     `dbvault serve` (the embedded engine): the default
  postgresql  PostgreSQL 15 alone, the reference that checks the tests themselves
  pgext       PostgreSQL 15 with the dbvault module preloaded (tests/pgext/pgext_cluster.py);
              vault statements go through dbvault.execute (pgext_adapter.py)

`require` / `onlyif` / `skipif` name one of them, or `vault`: a server with the vault
(dbvault or pgext).
"""

import os
import sys
from pathlib import Path

import harness

KINDS = ("dbvault", "postgresql", "pgext")
VAULT_KINDS = ("dbvault", "pgext")
CLOCK_KINDS = ("dbvault", "pgext")  # servers whose clock a test can move (`require clock`)
GROUPS = {"vault": VAULT_KINDS}


def matches(kind: str, name: str) -> bool:
    """Whether server `kind` is what a directive's `name` (a kind or a group) means."""
    return kind == name or kind in GROUPS.get(name, ())


def is_known(name: str) -> bool:
    return name in KINDS or name in GROUPS


def requested_kind() -> str:
    kind = os.environ.get("DBVAULT_TEST_SERVER", "dbvault")
    if kind not in KINDS:
        raise SystemExit(f"DBVAULT_TEST_SERVER={kind!r}: expected one of {', '.join(KINDS)}")
    return kind


def start(kind: str, workdir: Path, **options) -> harness.Server:
    """Starts a server of `kind` in `workdir` (harness.start, plus pgext)."""
    if kind != "pgext":
        return harness.start(kind, workdir, **options)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pgext"))
    from pgext_cluster import PgextServer  # noqa: E402 (tests/pgext, imported on demand)
    # A loaded machine may take more than the default 10 s to start the audit worker, and
    # a statement that needs a record waits that long for it (docs/postgresql.md §5).
    settings = {"dbvault.audit_timeout": "'60s'", **options.pop("settings", {})}
    return PgextServer(workdir, settings, test_clock=True, **options)


class DirectEngine:
    """dbvault and the reference server: every statement is sent as written."""

    @staticmethod
    def execute(connection, sql: str):
        cursor = connection.cursor()
        cursor.execute(sql)
        return cursor


def adapter_for(server: harness.Server):
    """The object whose execute(connection, sql) runs a record's SQL on `server`."""
    if server.kind == "pgext":
        from .pgext_adapter import PgextAdapter
        return PgextAdapter(server)
    return DirectEngine()
