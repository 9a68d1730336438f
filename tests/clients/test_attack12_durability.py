#!/usr/bin/python3
"""attack12: what held of a realm tablespace's files at rest (docs/encryption.md §9, engine.md
§7). None of it was a hole; these stay as regression tests.

- LOCK REALM after a commit of thousands of pages: as soon as the commit returns (the
  tablespace's checkpointer just starting), once the checkpointer has begun copying the WAL
  into the file (the file partly written), and 50 ms later; then kill -9: after the restart
  every committed row is there, a later checkpoint under a live key finishes, and after a
  clean stop and restart the rows are whole.
  A checkpoint the LOCK stopped is logged as 58000 (the key was withdrawn), never as XX001.
- A clean stop leaves a WAL the checkpointer had no reason to copy (below its threshold): the
  next start reads it.
- The tablespace's file replaced by a hard link to another realm's tablespace file: XX001,
  no rows, and the other file is not written. Its WAL deleted after a clean stop while it held
  commits: XX001 or 58000. Neither is 42501 (a damaged file is not a locked realm).
- `-shm` planted as a symbolic link to an existing file elsewhere: for main.db the server
  refuses to start (58030), for a tablespace its statements fail with 58030; the file the
  link points to is not written and nothing appears beside it.
- data/data itself a symbolic link to a directory elsewhere: works (encryption.md §5: only a
  file's own name is checked).
"""

import hashlib
import os
import shutil
import signal
import time

import psycopg2

import client_case
import harness
from test_attack11_key_lifetime import descriptors, insert_rows, wal_frames

REALM_PASSWORD = "a12d-realm-password-5e1b"
BIG_ROWS = 4000   # a 4 KiB page each (insert_rows); past the checkpointer's threshold (1,000
                  # frames): it starts at the commit
MORE_ROWS = 1500  # after the restart: past the threshold again, a checkpoint under a live key
OPEN_TIMEOUT_S = 10.0
SMALL_ROWS = 3000  # small rows: ~30 pages, below the threshold; the WAL stays at a clean stop
DAMAGE = ("XX001", "58000")
REFUSED = ("58000", "58030")


def restart(server) -> str | None:
    """Starts `server` again on its data directory: None, or the error of a refused start.
    The log so far is kept in earlier.log (the new process writes server.log afresh)."""
    if server.log_path.exists():
        with open(server.workdir / "earlier.log", "ab") as out:
            out.write(server.log_path.read_bytes())
    server._status = None
    (server.workdir / "port").unlink(missing_ok=True)
    try:
        server._serve(["--test-clock-file", str(server.clock_path)], "debug")
    except harness.ServerError as error:
        return str(error)
    return None


def kill9(server) -> None:
    os.kill(server.pid, signal.SIGKILL)
    server._process.wait()


def outcome(connection, sql: str):
    """(None, rows) or (SQLSTATE, first line of the message)."""
    with connection.cursor() as c:
        try:
            c.execute(sql)
            return None, c.fetchall() if c.description else []
        except psycopg2.Error as error:
            return error.pgcode, str(error).strip().splitlines()[0]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class LockMidCheckpoint(client_case.ServerCase):
    """Three tablespaces, each LOCKed at another point of its checkpoint, one kill -9."""

    WHEN = ("at_commit", "mid_copy", "after_50ms")

    def setUp(self) -> None:
        self.require_dbvault()

    def unlocked(self, realm: str):
        connection = self.connect("dba")
        with connection.cursor() as c:
            c.execute(f"UNLOCK REALM {realm} PASSWORD '{REALM_PASSWORD}'")
        return connection

    def fill_and_lock(self, when: str) -> str:
        """A realm with its own tablespace and BIG_ROWS pages committed, LOCKed `when`;
        returns how far the file was written at the LOCK (for the failure messages)."""
        realm, ts, table = f"a12{when}_r", f"a12{when}_ts", f"a12{when}_t"
        self.execute(f"CREATE REALM {realm} REQUIRE VAULT PASSWORD '{REALM_PASSWORD}' "
                     f"TABLESPACE {ts}", user="secadmin")
        self.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT) TABLESPACE {ts}")
        db = self.tablespace_file(ts)
        a = self.unlocked(realm)
        known = descriptors(self.server.pid, db)
        empty_size = db.stat().st_size
        with a.cursor() as c:
            insert_rows(c, table, BIG_ROWS)
        if when == "mid_copy":
            deadline = time.monotonic() + OPEN_TIMEOUT_S
            while not (descriptors(self.server.pid, db) - known
                       and db.stat().st_size > empty_size):
                if time.monotonic() > deadline:
                    self.fail(f"{ts}: the checkpointer did not start copying within "
                              f"{OPEN_TIMEOUT_S:.0f} s of a commit of {BIG_ROWS} pages")
                time.sleep(0.001)
        elif when == "after_50ms":
            time.sleep(0.05)
        with a.cursor() as c:
            c.execute(f"LOCK REALM {realm}")
        code, _ = outcome(a, f"SELECT count(*) FROM {table}")
        self.assertEqual(code, "42501", f"{table} still reads after LOCK REALM")
        return (f"file {db.stat().st_size} bytes, WAL {wal_frames(db)} frames at the LOCK "
                f"({when})")

    def assert_whole(self, when: str, rows: int, why: str) -> None:
        realm, table = f"a12{when}_r", f"a12{when}_t"
        code, got = outcome(self.unlocked(realm),
                            f"SELECT count(*), sum(id), sum(v = printf('%03500d', id)) "
                            f"FROM {table}")
        self.assertIsNone(code, f"{table} after {why}: {got}")
        self.assertEqual(got, [(rows, rows * (rows + 1) // 2, rows)],
                         f"{table} after {why}: (rows, sum of ids, rows whose value is intact)")

    def checkpoint_errors(self) -> list[str]:
        text = []
        for log in (self.server.workdir / "earlier.log", self.server.log_path):
            text += log.read_text(errors="replace").splitlines()
        return [line for line in text if "checkpoint of tablespace" in line and "failed" in line]

    def test_rows_survive_kill9_after_lock_realm_mid_checkpoint(self) -> None:
        states = {when: self.fill_and_lock(when) for when in self.WHEN}
        kill9(self.server)
        self.assertIsNone(restart(self.server), "the server must start after kill -9")
        for when in self.WHEN:
            self.assert_whole(when, BIG_ROWS, f"kill -9 ({states[when]})")
        # A checkpoint under a live key now finishes: the WAL of the earlier one is copied too.
        for when in self.WHEN:
            with self.unlocked(f"a12{when}_r").cursor() as c:
                insert_rows(c, f"a12{when}_t", MORE_ROWS, first=BIG_ROWS + 1)
        total = BIG_ROWS + MORE_ROWS
        for when in self.WHEN:
            db = self.tablespace_file(f"a12{when}_ts")
            deadline = time.monotonic() + 30
            while db.stat().st_size < total * 4096:
                if time.monotonic() > deadline:
                    self.fail(f"{db.name}: {db.stat().st_size} bytes 30 s after a commit past "
                              f"the threshold; the checkpoint of {total} pages did not finish")
                time.sleep(0.02)
        self.assertEqual(self.server.stop(), 0, "clean stop")
        self.assertIsNone(restart(self.server), "the server must start after a clean stop")
        for when in self.WHEN:
            self.assert_whole(when, total, "the later checkpoint, a clean stop and a restart")
        wrong = [line for line in self.checkpoint_errors() if "(58000)" not in line]
        self.assertEqual(wrong, [], "a checkpoint stopped by LOCK REALM must be logged as "
                                    "58000 (the key was withdrawn), not as damage")


class AtRest(client_case.ServerCase):
    """Two realm tablespaces (hr12 with SMALL_ROWS in its WAL, fin12 with one row), copied
    after a clean stop; each case restores the copy, changes data/, and starts the server."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        for realm in ("hr12", "fin12"):
            cls.execute(f"CREATE REALM {realm} REQUIRE VAULT PASSWORD '{REALM_PASSWORD}' "
                        f"TABLESPACE {realm}_ts", user="secadmin")
        cls.execute("CREATE TABLE sal (id INTEGER PRIMARY KEY, amount INTEGER) TABLESPACE hr12_ts",
                    "CREATE TABLE acct (id INTEGER PRIMARY KEY, amount INTEGER) "
                    "TABLESPACE fin12_ts",
                    "UNLOCK REALM hr12 PASSWORD '" + REALM_PASSWORD + "'",
                    f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE "
                    f"x < {SMALL_ROWS}) INSERT INTO sal SELECT x, x FROM c",
                    "UNLOCK REALM fin12 PASSWORD '" + REALM_PASSWORD + "'",
                    "INSERT INTO acct VALUES (1, 999)")
        cls.files = {"hr12": cls.tablespace_file("hr12_ts").name,
                     "fin12": cls.tablespace_file("fin12_ts").name}
        status = cls.server.stop()
        if status != 0:
            raise AssertionError(f"dbvault exited {status} on SIGTERM before the copy")
        cls.golden = cls.server.workdir / "golden"
        shutil.copytree(cls.server.data_dir, cls.golden, symlinks=True)

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.kind == "dbvault":
            cls.bring_up(None)  # the untouched copy, which must stop with exit 0
        super().tearDownClass()

    def setUp(self) -> None:
        self.require_dbvault()
        self.outside = self.server.workdir / "elsewhere"
        shutil.rmtree(self.outside, ignore_errors=True)
        self.outside.mkdir()

    @classmethod
    def bring_up(cls, modify) -> str | None:
        """Stops the server, restores the copy, applies modify(data/data), starts it: None,
        or the error of a refused start."""
        try:
            cls.server.stop()
        except harness.ServerError:
            pass
        if cls.server.data_dir.exists():
            shutil.rmtree(cls.server.data_dir)
        shutil.copytree(cls.golden, cls.server.data_dir, symlinks=True)
        if modify:
            modify(cls.server.data_dir / "data")
        return restart(cls.server)

    def session(self, *realms: str):
        connection = self.connect("dba")
        for realm in realms:
            code, detail = outcome(connection, f"UNLOCK REALM {realm} PASSWORD '{REALM_PASSWORD}'")
            self.assertIsNone(code, f"UNLOCK REALM {realm}: {detail}")
        return connection

    def victim(self, name: str):
        """A file outside data/ with content a link will point to."""
        path = self.outside / name
        path.write_text("precious content outside the data directory\n" * 100)
        return path

    def assert_untouched(self, before: dict[str, str], what: str) -> None:
        after = {p.name: digest(p) for p in self.outside.iterdir()}
        self.assertEqual(after, before, f"{what}: a file outside data/ was written or created")

    # --- the cases ---------------------------------------------------------------------------
    def test_a_clean_stop_leaves_the_wal_and_the_next_start_reads_it(self) -> None:
        wal = self.golden / "data" / (self.files["hr12"] + "-wal")
        self.assertGreater(wal.stat().st_size, 0, "the copy has no WAL: the test proves nothing")
        self.assertIsNone(self.bring_up(None))
        self.assertEqual(outcome(self.session("hr12"), "SELECT count(*), sum(amount) FROM sal"),
                         (None, [(SMALL_ROWS, SMALL_ROWS * (SMALL_ROWS + 1) // 2)]))

    def test_b_hard_link_to_another_realms_tablespace(self) -> None:
        hr, fin = self.files["hr12"], self.files["fin12"]
        seen = {}

        def modify(data) -> None:
            (data / hr).unlink()
            os.link(data / fin, data / hr)
            seen["fin"] = digest(data / fin)
        self.assertIsNone(self.bring_up(modify))
        code, detail = outcome(self.session("hr12"), "SELECT id, amount FROM sal")
        self.assertEqual(code, "XX001", f"hr12's file is a hard link to fin12's: {detail}")
        data = self.server.data_dir / "data"
        self.assertEqual(digest(data / fin), seen["fin"], "fin12's file was written through hr12")
        self.assertEqual(outcome(self.session("fin12"), "SELECT id, amount FROM acct"),
                         (None, [(1, 999)]))

    def test_c_wal_deleted_after_a_clean_stop(self) -> None:
        def modify(data) -> None:
            wal = data / (self.files["hr12"] + "-wal")
            self.assertGreater(wal.stat().st_size, 0, "no WAL to delete")
            wal.unlink()
        refused = self.bring_up(modify)
        self.assertIsNone(refused, "a damaged tablespace must be reported to its sessions")
        code, detail = outcome(self.session("hr12"), "SELECT count(*) FROM sal")
        self.assertIn(code, DAMAGE, f"hr12's WAL (holding commits) deleted: {code} {detail}")

    def test_d_tablespace_shm_linked_to_a_file_elsewhere(self) -> None:
        target = self.victim("victim-ts-shm")
        before = {target.name: digest(target)}

        def modify(data) -> None:
            shm = data / (self.files["hr12"] + "-shm")
            shm.unlink(missing_ok=True)
            shm.symlink_to(target)
        self.assertIsNone(self.bring_up(modify))
        connection = self.session("hr12")
        for sql in ("SELECT count(*) FROM sal", "INSERT INTO sal VALUES (0, 0)"):
            code, detail = outcome(connection, sql)
            self.assertIn(code, REFUSED, f"hr12's -shm is a link: {sql}: {code} {detail}")
        self.assert_untouched(before, "hr12's -shm is a link")

    def test_e_main_shm_linked_to_a_file_elsewhere(self) -> None:
        target = self.victim("victim-main-shm")
        before = {target.name: digest(target)}

        def modify(data) -> None:
            shm = data / "main.db-shm"
            shm.unlink(missing_ok=True)
            shm.symlink_to(target)
        refused = self.bring_up(modify)
        self.assertIsNotNone(refused, "the server started with main.db-shm a link elsewhere")
        self.assertRegex(refused, r"dbvault serve: ERROR 58030: ")
        self.assert_untouched(before, "main.db-shm is a link")

    def test_f_data_directory_linked_elsewhere_works(self) -> None:
        def modify(data) -> None:
            moved = self.outside / "data"
            shutil.move(data, moved)
            data.symlink_to(moved)
        self.assertIsNone(self.bring_up(modify))
        connection = self.session("hr12", "fin12")
        self.assertEqual(outcome(connection, "INSERT INTO sal VALUES (0, 0)"), (None, []))
        self.assertEqual(outcome(connection, "SELECT count(*) FROM sal"),
                         (None, [(SMALL_ROWS + 1,)]))
        self.assertEqual(outcome(connection, "SELECT amount FROM acct"), (None, [(999,)]))


if __name__ == "__main__":
    client_case.main()
