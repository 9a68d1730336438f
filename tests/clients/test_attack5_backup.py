#!/usr/bin/python3
"""attack5: BACKUP DATABASE / RESTORE DATABASE against path tricks, stolen and altered files.

- where a backup may be written: relative paths, the data directory (also through a symlink
  and through `..`), an existing file, a FIFO, /proc, /dev/null, a missing directory;
- what the file shows: rows, realm and table names, passwords and tokens written before it
  must not be in it (UTF-8, UTF-16, hex);
- what a restore accepts: the wrong restore password, another key id, the file cut at a chunk
  boundary, two chunks swapped, a chunk of another backup, bytes appended, a flipped header
  byte, a target that exists; after each refusal nothing is left beside the file;
- what the restored directory enforces: served on its own, its realm still refuses the DBA
  and its mask still holds.
"""

import os
import shutil
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from attack5_common import MEK_ID, Session, encodings, main

REALM_PW = "Backup-realm-pass-4411"
ROW = "MKBACKUPROWq81"
MASKED = "MKBACKUPMASKq82"


def backup(s, path: Path) -> str:
    rows = s.ok("secadmin", f"BACKUP DATABASE TO '{path}' ENCRYPTED WITH KEY '{MEK_ID}'")
    return rows[0][4]


def restore(s, path: Path, password: str, key: str = MEK_ID):
    return s.run("secadmin", f"RESTORE DATABASE FROM '{path}' DECRYPT WITH KEY '{key}' "
                             f"VAULT PASSWORD '{password}'")


def chunks(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """The header's length and each chunk's (offset, length) (docs/encryption.md §10.1)."""
    at = 8 + 2 + 1 + 1 + 4 + 8 + 16
    at += 1 + data[at]                      # key id
    at += 1 + data[at]                      # provider kind
    at += 2 + struct.unpack(">H", data[at:at + 2])[0]  # wrapped data key
    at += 4 + 4 + 4 + 16 + 32 + 32          # Argon2id, salt, check, MAC
    header, out = at, []
    while at < len(data):
        n = struct.unpack(">I", data[at:at + 4])[0]
        out.append((at, 4 + 12 + n + 16))
        at += 4 + 12 + n + 16
    return header, out


def refused_restore(s, path: Path, data: bytes, password: str, sqlstate: str, what: str):
    path.write_bytes(data)
    state, message = restore(s, path, password)
    assert state == sqlstate, f"{what}: expected {sqlstate}, got {state} {message}"
    left = [p.name for p in path.parent.iterdir() if p.name.startswith(path.name + ".")]
    assert not left, f"{what}: left behind {left}"
    path.unlink()


def path_tricks(s, out: Path) -> None:
    data_dir = s.server.data_dir
    (out / "link").symlink_to(data_dir)
    fifo = out / "fifo"
    os.mkfifo(fifo)
    (out / "exists").write_bytes(b"keep me")
    cases = [("relative.enc", "22023"), (f"{data_dir}/x.enc", "22023"),
             (f"{data_dir}/data/x.enc", "22023"), (f"{out}/link/x.enc", "22023"),
             (f"{out}/link/../link/keys/x.enc", "22023"), (f"{out}/exists", "42710"),
             (str(fifo), "42710"), ("/proc/self/fd/1", "42710"), ("/dev/null", "42710"),
             (f"{out}/missing/x.enc", "22023")]
    for path, sqlstate in cases:
        s.refused("secadmin", f"BACKUP DATABASE TO '{path}' ENCRYPTED WITH KEY '{MEK_ID}'",
                  sqlstate)
    assert (out / "exists").read_bytes() == b"keep me"
    assert not [p for p in data_dir.rglob("*.enc")], "a backup was written into the data dir"


def serve_restored(s, restored: Path) -> None:
    """The restored directory, served on its own, still enforces realm and mask."""
    work = restored.parent / "serve"
    work.mkdir()
    port_file = work / "port"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBVAULT_")}
    proc = subprocess.Popen([str(s.server.binary), "serve", "--data-dir", str(restored),
                             "--listen", "127.0.0.1:0", "--port-file", str(port_file)],
                            env=env, stdout=open(work / "log", "wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None and time.monotonic() < deadline, (work / "log").read_text()
            time.sleep(0.05)
        original_port = s.server.port
        s.server.port = int(port_file.read_text())
        other = Session(s.server)
        try:
            other.refused("dba", "SELECT plain FROM vault_t", "42501", "realm")
            other.ok("dba", f"UNLOCK REALM br PASSWORD '{REALM_PW}'")
            assert other.ok("dba", "SELECT plain, ssn FROM vault_t") == [(ROW, "***")]
        finally:
            other.close()
            s.server.port = original_port
    finally:
        proc.terminate()
        assert proc.wait(30) == 0


def test(s) -> None:
    out = Path(tempfile.mkdtemp(prefix="dbvault-attack5-backups-"))
    try:
        attack(s, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def attack(s, out: Path) -> None:
    s.ok("dba", "CREATE ROLE backup_operator")
    s.ok("dba", "GRANT backup_operator TO secadmin")
    s.ok("dba", "CREATE TABLE vault_t (id INTEGER PRIMARY KEY, plain TEXT, ssn TEXT)")
    s.ok("dba", f"INSERT INTO vault_t VALUES (1, '{ROW}', '{MASKED}')")
    s.ok("secadmin", f"CREATE REALM br REQUIRE VAULT PASSWORD '{REALM_PW}'")
    s.ok("secadmin", "ALTER REALM br ADD TABLE vault_t")
    s.ok("secadmin", "ALTER TABLE vault_t ALTER COLUMN ssn SET MASKING FULL")
    token = s.ok("dba", f"UNLOCK REALM br PASSWORD '{REALM_PW}'")[0][1]
    s.ok("dba", "LOCK REALM br")
    path_tricks(s, out)

    first, second = out / "first.enc", out / "second.enc"
    password = backup(s, first)
    other_password = backup(s, second)
    data, other = first.read_bytes(), second.read_bytes()
    for what, marker in [("row", ROW), ("masked row", MASKED), ("realm password", REALM_PW),
                         ("token", token), ("login password", s.server.passwords["dba"])]:
        for encoding, needle in encodings(marker):
            assert needle not in data, f"{what} ({encoding}) is readable in the backup"

    header, parts = chunks(data)
    assert len(parts) >= 3, f"expected several chunks, got {len(parts)}"
    (a, la), (b, lb) = parts[0], parts[1]
    _, other_parts = chunks(other)
    oa, ola = other_parts[0]
    bad = out / "bad.enc"
    refused_restore(s, bad, data, "0" * 32, "28P01", "wrong restore password")
    refused_restore(s, bad, data[:parts[-1][0]], password, "XX001", "cut at a chunk boundary")
    refused_restore(s, bad, data[:a] + data[b:b + lb] + data[a:a + la] + data[b + lb:],
                    password, "XX001", "two chunks swapped")
    refused_restore(s, bad, data[:a] + other[oa:oa + ola] + data[a + la:], password, "XX001",
                    "a chunk of another backup")
    refused_restore(s, bad, data + other[oa:oa + ola], password, "XX001", "a chunk appended")
    refused_restore(s, bad, data[:header - 10] + bytes([data[header - 10] ^ 1]) +
                    data[header - 9:], password, "XX001", "a flipped header MAC byte")
    refused_restore(s, bad, data[:header - 40] + bytes([data[header - 40] ^ 1]) +
                    data[header - 39:], password, "28P01", "a flipped password check byte")
    refused_restore(s, bad, data[:40] + bytes([data[40] ^ 1]) + data[41:], password, "XX001",
                    "a flipped header byte")
    assert restore(s, second, other_password, key="another-key")[0] == "58000"

    state, rows = restore(s, first, password)
    assert state is None, rows
    restored = Path(rows[0][0])
    assert restore(s, first, password)[0] == "42710"  # never over an existing directory
    serve_restored(s, restored)


if __name__ == "__main__":
    main(test)
