#!/usr/bin/python3
"""attack11: nothing decrypts or re-seals a tablespace's pages once its key is withdrawn
(docs/engine.md §7, docs/encryption.md §9).

A realm tablespace's key is released to sessions, never to the engine: its checkpointer opens
the file through the key of the last session that committed there, and only while that key is
valid. On 852afa8 the key was still used after it was withdrawn:

- F1: the checkpointer checked the key only when it opened its connection. A TRUNCATE checkpoint
  (the WAL past `hard_cap_frames`, 10,000 frames) waits up to `escalation_wait_ms` (1 s) for a
  reader B; LOCK REALM in both sessions (or the test clock moved past every unlock) zeroized the
  gate's key, then B's reader ended and the checkpointer copied the whole WAL (~43 MB) into
  ts_<id>.db through the cipher it had built before, after the key was gone (6 of 6 runs).
- F2: no connection set SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, so the last close of a session's
  connection to the file (LOCK REALM's own detach, a logout) checkpointed the WAL with the
  session's cipher: LOCK REALM grew the file from 8 KiB to 1.2 MB after zeroizing the key.
- (reported held, inconclusive: the last logout's close checkpointed first, F2) nothing writes
  the file once the sessions holding its key logged out: neither the last logout's close nor the
  checkpointer, whose `last` keeps the key of a session that committed there.

Each test snapshots the tablespace's ts_<id>.db and ts_<id>.db-wal (size, mtime, SHA-256) once
the key is withdrawn (for F2 just before LOCK REALM, whose own detach wrote the file; for the
logouts after the first and before the last), watches them while a checkpoint would run, and
requires them unchanged.
F1's checkpointer is caught mid-TRUNCATE: its connection to the file shows up as a new
descriptor of the server process (/proc/<pid>/fd), and the key is withdrawn at once.
The row counts are the smallest that reach the checkpointer's thresholds
(storage/checkpoint_options.h; the server has no setting to lower them).
"""

import concurrent.futures
import datetime
import hashlib
import math
import os
import time
from pathlib import Path

import psycopg2

import client_case

REALM_PASSWORD = "a11-realm-pw-7f3c91d2"
PAYLOAD = "printf('%03500d', x)"  # one row per 4 KiB page: one WAL frame per row
HARD_CAP_ROWS = 10600  # > hard_cap_frames (10,000): the checkpointer's first attempt is a TRUNCATE
THRESHOLD_ROWS = 1500  # > threshold_frames (1,000): a checkpointer starts, PASSIVE attempts
SMALL_ROWS = 300       # < threshold_frames: no checkpointer thread for the file
WATCH_S = 1.5          # > escalation_wait_ms and several retry_ms (200 ms) of the checkpointer
HARD_CAP_FRAMES = 10000  # storage/checkpoint_options.h
OPEN_TIMEOUT_S = 10.0
EXPIRY_SEEN_S = 0.05  # withdrawn key to B's reader ending: > the VFS's clock-check interval  # the checkpointer opens its connection within this of the commit


def insert_rows(cursor, table: str, count: int, first: int = 1) -> None:
    cursor.execute(f"WITH RECURSIVE c(x) AS (SELECT {first} UNION ALL SELECT x + 1 FROM c "
                   f"WHERE x < {first + count - 1}) INSERT INTO {table} SELECT x, {PAYLOAD} FROM c")


def descriptors(pid: int, path: Path) -> set[int]:
    """The server's open file descriptors on `path`."""
    found = set()
    fd_dir = f"/proc/{pid}/fd"
    for name in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{name}") == str(path):
                found.add(int(name))
        except OSError:
            pass  # closed meanwhile
    return found


def tablespace_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal")]


def wal_frames(db: Path) -> int:
    """The frames of the WAL: a 32-byte header, then 24 bytes of frame header per 4 KiB page."""
    wal = db.with_name(db.name + "-wal")
    return max(0, (wal.stat().st_size - 32) // (24 + 4096)) if wal.exists() else 0


def stat_of(path: Path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def snapshot(db: Path) -> dict[str, tuple | None]:
    """name -> (size, mtime_ns, sha256) or None (absent), for ts_<id>.db and its WAL."""
    out = {}
    for path in tablespace_files(db):
        try:
            data = path.read_bytes()
            st = os.stat(path)
        except FileNotFoundError:
            out[path.name] = None
            continue
        out[path.name] = (st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest()[:16])
    return out


def describe(state) -> str:
    return "absent" if state is None else f"{state[0]} bytes, mtime {state[1]}" + (
        f", sha256 {state[2]}" if len(state) > 2 else "")


class KeyLifetime(client_case.ServerCase):
    def setUp(self) -> None:
        self.require_dbvault()

    # --- helpers -------------------------------------------------------------------------
    def realm_tablespace(self, tag: str) -> tuple[str, str, Path]:
        """A tablespace a11<tag>_ts with one table a11<tag>_t in realm a11<tag>_r, which needs a
        vault password: (realm, table, the tablespace's file)."""
        ts, realm, table = f"a11{tag}_ts", f"a11{tag}_r", f"a11{tag}_t"
        self.execute(f"CREATE TABLESPACE {ts} ENCRYPTION USING 'AES256'",
                     f"CREATE REALM {realm} REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
                     user="secadmin")
        self.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT) TABLESPACE {ts}")
        self.execute(f"ALTER REALM {realm} ADD TABLE {ts}.{table}", user="secadmin")
        path = self.tablespace_file(ts)
        self.assertTrue(path.name.startswith("ts_") and path.exists(), path)
        return realm, table, path

    def unlocked(self, realm: str):
        """A dba connection that unlocked `realm`, and the unlock's expiry (epoch seconds)."""
        connection = self.connect("dba")
        with connection.cursor() as c:
            c.execute(f"UNLOCK REALM {realm} PASSWORD '{REALM_PASSWORD}'")
            row = dict(zip([d.name for d in c.description], c.fetchone()))
        expires = datetime.datetime.strptime(row["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
        return connection, expires.replace(tzinfo=datetime.timezone.utc).timestamp()

    def refused(self, connection, sql: str, why: str) -> None:
        with connection.cursor() as c:
            try:
                c.execute(sql)
            except psycopg2.Error as error:
                self.assertEqual(error.pgcode, "42501", f"{why}: {sql}: {error}")
                return
        self.fail(f"{why}: {sql} succeeded (the key was not withdrawn: the test proves nothing)")

    def wait_for_new_descriptor(self, path: Path, known: set[int], what: str) -> set[int]:
        deadline = time.monotonic() + OPEN_TIMEOUT_S
        while time.monotonic() < deadline:
            now = descriptors(self.server.pid, path)
            if now - known:
                return now
            time.sleep(0.002)
        self.fail(f"{what}: no new descriptor of {path.name} in the server within "
                  f"{OPEN_TIMEOUT_S:.0f} s (the checkpointer did not open the file; the scenario "
                  "did not happen)")

    @staticmethod
    def logouts(auditor) -> int:
        with auditor.cursor() as c:
            c.execute("SELECT count(*) FROM vault.audit_log WHERE event_type = 'logout' AND "
                      "\"user\" = 'dba'")
            return c.fetchone()[0]

    def wait_for_logouts(self, auditor, count: int, timeout_s: float = 10) -> None:
        """Until dba's logouts number `count`: the server ended the session (its logout is
        audited after the session's keys were let go)."""
        deadline = time.monotonic() + timeout_s
        while self.logouts(auditor) < count:
            if time.monotonic() > deadline:
                self.fail(f"the server did not audit the logout within {timeout_s:.0f} s")
            time.sleep(0.01)

    def wait_until_quiet(self, db: Path, quiet_s: float = 0.5, timeout_s: float = 10) -> None:
        """Until the files have not changed for quiet_s (a key holder's checkpoint is over)."""
        deadline = time.monotonic() + timeout_s
        last = [stat_of(p) for p in tablespace_files(db)]
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.02)
            now = [stat_of(p) for p in tablespace_files(db)]
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
        self.fail(f"{db.name} kept changing for {timeout_s:.0f} s while the key was held")

    def watch(self, db: Path, seconds: float) -> list[str]:
        """The changes of size or mtime seen in `seconds` (polled every 10 ms)."""
        changes = []
        start = time.monotonic()
        last = {p.name: stat_of(p) for p in tablespace_files(db)}
        while time.monotonic() - start < seconds:
            time.sleep(0.01)
            for path in tablespace_files(db):
                now = stat_of(path)
                if now != last[path.name]:
                    changes.append(f"+{time.monotonic() - start:.2f} s {path.name}: "
                                   f"{describe(last[path.name])} -> {describe(now)}")
                    last[path.name] = now
        return changes

    def assert_unchanged(self, db: Path, before: dict, changes: list[str], what: str) -> None:
        after = snapshot(db)
        differing = [f"{name}: {describe(before[name])} -> {describe(after[name])}"
                     for name in before if before[name] != after[name]]
        if differing or changes:
            self.fail(f"{what}\n  changed: "
                      + "; ".join(differing or ["none at the end (written, then back)"])
                      + "\n  seen while watching: " + ("; ".join(changes[:3]) or "none")
                      + (f" (+{len(changes) - 3} more)" if len(changes) > 3 else ""))

    def mid_truncate_checkpoint(self, tag: str, withdraw) -> None:
        """F1: B reads, A commits past the hard cap, the checkpointer's TRUNCATE opens the file
        and waits for B; withdraw(a, b, expiries) takes the key away; then B's reader ends."""
        realm, table, db = self.realm_tablespace(tag)
        a, a_expires = self.unlocked(realm)
        b, b_expires = self.unlocked(realm)
        with a.cursor() as c:
            c.execute(f"INSERT INTO {table} VALUES (0, 'x')")
        with b.cursor() as c:
            c.execute("BEGIN")
            c.execute(f"SELECT count(*) FROM {table}")  # a reader of an old snapshot
            self.assertEqual(c.fetchone(), (1,))
        known = descriptors(self.server.pid, db)  # A's and B's connections
        self.assertTrue(known, f"no session has {db.name} open")
        with a.cursor() as c:
            insert_rows(c, table, HARD_CAP_ROWS)
        self.wait_for_new_descriptor(db, known, "after a commit past the hard cap")
        frames = wal_frames(db)
        self.assertGreaterEqual(frames, HARD_CAP_FRAMES,
                                f"the commit left {frames} WAL frames, not past the hard cap: the "
                                "checkpointer ran a PASSIVE checkpoint, which waits for no reader")
        # The checkpointer holds its connection, opened under a valid key, and waits for B.
        withdraw(a, b, max(a_expires, b_expires))
        # The key is gone: from here on, nothing may touch the file. The snapshot's hashes
        # (~43 MB of WAL) are read while B ends its reader, which must happen within the
        # TRUNCATE's 1 s wait; sizes and mtimes are taken first, at once.
        stats = {p.name: stat_of(p) for p in tablespace_files(db)}
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            hashed = pool.submit(snapshot, db)
            # A cipher may read the clock only every few ms (an unlock's expiry is seen within
            # PageCipher::kLeaseCheckInterval, 5 ms): B's reader ends well after that, so the
            # checkpoint resuming then must stop at its first page. The TRUNCATE waits 1 s.
            time.sleep(EXPIRY_SEEN_S)
            with b.cursor() as c:
                try:
                    c.execute("COMMIT")  # B's reader ends: a TRUNCATE still waiting copies now
                except psycopg2.Error:
                    c.execute("ROLLBACK")
            before = hashed.result()
        for name, state in before.items():
            if (state and state[:2]) != stats[name]:
                before[name] = stats[name]  # written meanwhile: compare with the first look
        self.refused(a, f"SELECT count(*) FROM {table}", "A after the key was withdrawn")
        self.refused(b, f"SELECT count(*) FROM {table}", "B after the key was withdrawn")
        changes = self.watch(db, WATCH_S)
        self.assert_unchanged(
            db, before, changes,
            f"the tablespace's file was written after its key was withdrawn ({tag}): the "
            "checkpointer's TRUNCATE, which opened the file before, kept decrypting and "
            "re-sealing pages with the withdrawn key once the reader ended (F1)")

    # --- the tests -----------------------------------------------------------------------
    def test_a_lock_realm_detach_does_not_checkpoint(self) -> None:
        """F2: LOCK REALM by the only connection to the file (no checkpointer: < 1,000 frames)."""
        realm, table, db = self.realm_tablespace("detach")
        a, _ = self.unlocked(realm)
        with a.cursor() as c:
            insert_rows(c, table, SMALL_ROWS)
        self.assertGreaterEqual(wal_frames(db), SMALL_ROWS,
                                "the rows are not in the WAL: nothing to checkpoint, the test "
                                "proves nothing")
        before = snapshot(db)  # LOCK REALM itself must not checkpoint either
        with a.cursor() as c:
            c.execute(f"LOCK REALM {realm}")
        self.refused(a, f"SELECT count(*) FROM {table}", "A after LOCK REALM")
        changes = self.watch(db, WATCH_S)
        self.assert_unchanged(
            db, before, changes,
            "LOCK REALM's detach (the last connection to the file) checkpointed the WAL into the "
            "file with the key it had just zeroized (F2: no SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE)")

    def test_b_checkpointer_after_logout(self) -> None:
        """(held) Once the sessions holding the key logged out, nothing writes the file: the
        last logout does not checkpoint, the checkpointer never uses a logged-out session's
        key."""
        realm, table, db = self.realm_tablespace("logout")
        auditor = self.connect("auditor")
        a, _ = self.unlocked(realm)
        b, _ = self.unlocked(realm)
        with a.cursor() as c:
            c.execute(f"INSERT INTO {table} VALUES (0, 'x')")
        with b.cursor() as c:
            c.execute("BEGIN")
            c.execute(f"SELECT count(*) FROM {table}")  # keeps every PASSIVE incomplete
        known = descriptors(self.server.pid, db)
        with a.cursor() as c:
            insert_rows(c, table, THRESHOLD_ROWS)  # the checkpointer keeps A's key as `last`
        self.wait_for_new_descriptor(db, known, "after a commit past the threshold")
        self.wait_until_quiet(db)
        logouts = self.logouts(auditor)
        a.close()  # the session whose key the checkpointer has logs out
        self.wait_for_logouts(auditor, logouts + 1)
        before = snapshot(db)
        b.close()  # the last key holder logs out; its reader ends
        self.wait_for_logouts(auditor, logouts + 2)
        changes = self.watch(db, WATCH_S)
        self.assert_unchanged(
            db, before, changes,
            "the tablespace's file or its WAL changed once its key holders had logged out "
            "(snapshot after A's logout, before B's): B's logout checkpointed the WAL as the "
            "file's last connection (F2), or the checkpointer used a logged-out session's key")

    def test_c_checkpointer_after_lock_realm(self) -> None:
        """F1, LOCK REALM in both sessions (B inside its read transaction)."""
        def lock(a, b, _expires) -> None:
            for connection in (a, b):
                with connection.cursor() as c:
                    c.execute("LOCK REALM a11lock_r")
        self.mid_truncate_checkpoint("lock", lock)

    def test_d_checkpointer_after_unlock_expired(self) -> None:
        """F1, the test clock moved past both unlocks (last: the clock stays moved)."""
        def expire(_a, _b, expires: float) -> None:
            now = time.time() + self.server.clock_offset()  # the server's clock
            self.server.advance_clock(math.ceil(expires - now) + 120)
        self.mid_truncate_checkpoint("expiry", expire)


if __name__ == "__main__":
    client_case.main()
