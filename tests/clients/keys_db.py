"""Reading a data directory's keys/keys.db from a test, as docs/keys.md §3 specifies it: the
scope columns hold lookup ids, HMAC-SHA256 of the scope name under a subkey of the names key,
which the master key wraps (RFC 5649). Only for the `file` key provider (keys/master.key)."""

import hashlib
import hmac
import sqlite3
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _master_key(data_dir: Path) -> bytes:
    for line in (data_dir / "keys" / "master.key").read_text().splitlines():
        if line.startswith("key "):
            return bytes.fromhex(line[4:].strip())
    raise AssertionError("no key line in keys/master.key")


def _open(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{data_dir / 'keys' / 'keys.db'}?mode=ro", uri=True)


def scope_id(data_dir: Path, scope: str) -> str:
    """The `scope` column of scope's records: 's:' || hex(HMAC(lookup key, scope))."""
    with _open(data_dir) as db:
        (wrapped,) = db.execute("SELECT wrapped FROM names_key WHERE id = 1").fetchone()
    names_key = aes_key_unwrap_with_padding(_master_key(data_dir), wrapped)
    lookup = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                  info=b"dbvault key-store scope lookup v1").derive(names_key)
    return "s:" + hmac.new(lookup, scope.encode(), hashlib.sha256).hexdigest()


def versions(data_dir: Path, scope: str) -> list[tuple]:
    """(version, state) of scope's records, oldest first."""
    sid = scope_id(data_dir, scope)
    with _open(data_dir) as db:
        return db.execute("SELECT version, state FROM teks WHERE scope = ? ORDER BY version",
                          (sid,)).fetchall()
