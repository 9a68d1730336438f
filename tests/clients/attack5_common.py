"""Helpers of the attack5 client tests: one dbvault server, named autocommit connections,
statements that report their SQLSTATE instead of raising, and a marker scan of files."""

import binascii
import sys
from pathlib import Path

import harness

try:
    import psycopg2
except ImportError:  # pragma: no cover - Debian's python3-psycopg2 imports under /usr/bin/python3
    psycopg2 = None

MEK_ID = "dbvault-file-mek-1"  # the master key `dbvault init` makes


class Session:
    """A server and its connections by name (each an autocommit psycopg2 connection)."""

    def __init__(self, server: harness.Server):
        self.server = server
        self.conns = {}

    def connect(self, name: str, user: str | None = None, password: str | None = None):
        conn = psycopg2.connect(self.server.dsn(user or name, password))
        conn.autocommit = True
        self.conns[name] = conn
        return conn

    def run(self, name: str, sql: str):
        """(sqlstate or None, rows or None): never raises for an SQL error."""
        if name not in self.conns:
            self.connect(name)
        cur = self.conns[name].cursor()
        try:
            cur.execute(sql)
            return None, cur.fetchall() if cur.description else None
        except psycopg2.Error as error:
            return error.pgcode, str(error)

    def ok(self, name: str, sql: str):
        state, rows = self.run(name, sql)
        if state is not None:
            raise AssertionError(f"{name}: {sql!r} failed: {state} {rows}")
        return rows

    def refused(self, name: str, sql: str, sqlstate: str, text: str = "") -> str:
        state, message = self.run(name, sql)
        if state != sqlstate or text not in (message or ""):
            raise AssertionError(f"{name}: {sql!r}: expected {sqlstate} {text!r}, got "
                                 f"{state} {message}")
        return message

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()
        self.conns.clear()


def encodings(marker: str) -> list[tuple[str, bytes]]:
    raw = marker.encode()
    return [("utf-8", raw), ("utf-16", marker.encode("utf-16-le")),
            ("hex", binascii.hexlify(raw)), ("HEX", binascii.hexlify(raw).upper())]


def find_markers(markers: dict[str, str], root: Path) -> list[str]:
    """One line per (marker, encoding, file under root) where the marker's bytes occur."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for what, marker in markers.items():
            for encoding, needle in encodings(marker):
                if needle in data:
                    found.append(f"{what} ({encoding}) in {path.relative_to(root)}")
    return found


def main(test) -> None:
    """Runs test(Session) on a fresh dbvault server; exit 77 when it cannot run here."""
    if psycopg2 is None:
        harness.skip_or_fail(harness.ServerUnavailable("psycopg2 is not installed"))
    if harness.requested_kind() != "dbvault":
        harness.skip_or_fail(harness.ServerUnavailable("a dbvault-only test"))
    try:
        with harness.running_server("attack5") as server:
            session = Session(server)
            try:
                test(session)
            finally:
                session.close()
    except harness.ServerUnavailable as error:
        harness.skip_or_fail(error)
    print("passed")
    sys.exit(0)
