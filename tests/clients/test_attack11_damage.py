#!/usr/bin/python3
"""attack11: a damaged data file reaches the client as damage, never as a permission error nor
as rows (docs/encryption.md §3, §9).

With the server stopped, a file of the data directory is altered; after the restart a query of
the damaged table must fail with SQLSTATE XX001 (a page or frame that does not authenticate) or
58000 (a file that is not the one the catalog knows, a WAL deleted while it held commits), or,
for the engine database main.db, the server may refuse to start. It must never return rows, and
never say 42501: a damaged file is not a locked realm. On 852afa8 three tablespace cases were
reported as 42501 "the key of tablespace ... is not released to this session (its realm is
locked ...)", the real error only in the log (F3): page 1 altered, the file replaced by another
tablespace's file, the WAL deleted after kill -9 while it held commits. The others held and stay
here as regression tests: a flipped byte and two swapped pages of a tablespace and of main.db,
main.db's WAL deleted after kill -9.

Every case starts from the same copy of the data directory (two tablespaces in no realm, one
table in each and one in main.db), taken after a clean stop with dmg1's WAL checkpointed into its
file (sessions do not checkpoint once F2 is fixed; its checkpointer is made to).
"""

import os
import shutil
import signal
import time

import psycopg2

import client_case
import harness

PAGE = 4096
ROWS = 600  # ~35 pages of 200-byte rows: pages 3..9 of a tablespace's file are its table's
MAIN_ROWS = 1200  # ~70 pages: most of main.db, whose middle pages are m's
FILL_ROWS = 10600  # one 4 KiB page each, after the table's: past the checkpointer's hard cap
DAMAGE = ("XX001", "58000")


def checkpoint_tablespace(case, ts: str) -> None:
    """Gets the rows of tablespace `ts` out of its WAL and into its file, so that altering the
    file's pages alters what is read: sessions never checkpoint, the tablespace's checkpointer
    does, under the key of a session that committed there. A commit past its hard cap (10,000
    frames) makes it TRUNCATE the WAL at once; the session stays until the WAL is empty."""
    wal = case.tablespace_file(ts).with_name(case.tablespace_file(ts).name + "-wal")
    connection = psycopg2.connect(**case.server.conninfo("dba"))
    connection.autocommit = True
    try:
        with connection.cursor() as c:
            c.execute(f"CREATE TABLE {ts}_fill (id INTEGER PRIMARY KEY, v TEXT) TABLESPACE {ts}")
            c.execute(f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE "
                      f"x < {FILL_ROWS}) INSERT INTO {ts}_fill SELECT x, printf('%03500d', x) "
                      f"FROM c")
        deadline = time.monotonic() + 60
        while wal.exists() and wal.stat().st_size > 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"the WAL of tablespace {ts} still holds "
                                     f"{wal.stat().st_size} bytes 60 s after a commit past the "
                                     "checkpointer's hard cap")
            time.sleep(0.02)
    finally:
        connection.close()


class Damage(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLESPACE dmg1 ENCRYPTION USING 'AES256'",
                    "CREATE TABLESPACE dmg2 ENCRYPTION USING 'AES256'", user="secadmin")
        statements = []
        tables = (("t1", "dmg1", ROWS), ("t2", "dmg2", ROWS), ("m", None, MAIN_ROWS))
        for table, ts, rows in tables:
            where = f" TABLESPACE {ts}" if ts else ""
            statements += [f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT){where}",
                           f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                           f"WHERE x < {rows}) INSERT INTO {table} SELECT x, printf('%0200d', x) "
                           f"FROM c"]
        cls.execute(*statements)
        checkpoint_tablespace(cls, "dmg1")
        cls.files = {"dmg1": cls.tablespace_file("dmg1").name,
                     "dmg2": cls.tablespace_file("dmg2").name}
        status = cls.server.stop()
        if status != 0:
            raise AssertionError(f"dbvault exited {status} on SIGTERM before the copy")
        cls.golden = cls.server.workdir / "golden"
        shutil.copytree(cls.server.data_dir, cls.golden, symlinks=True)
        cls.main_middle = (cls.golden / "data" / "main.db").stat().st_size // PAGE // 2

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.kind == "dbvault":
            cls.bring_up(None)  # the undamaged copy, which must stop with exit 0
        super().tearDownClass()

    def setUp(self) -> None:
        self.require_dbvault()

    # --- the server on a damaged copy ------------------------------------------------------
    @classmethod
    def stop_any(cls) -> None:
        """Stops the server, whatever its state (a damaged one may exit non-zero)."""
        try:
            cls.server.stop()
        except harness.ServerError:
            pass

    @classmethod
    def start(cls) -> None:
        cls.server._status = None
        (cls.server.workdir / "port").unlink(missing_ok=True)
        cls.server._serve(["--test-clock-file", str(cls.server.clock_path)], "debug")

    @classmethod
    def bring_up(cls, tamper) -> str | None:
        """Stops the server, restores the copy, applies tamper(data/ directory), starts the
        server: None, or the error of a refused start."""
        cls.stop_any()
        shutil.rmtree(cls.server.data_dir)
        shutil.copytree(cls.golden, cls.server.data_dir, symlinks=True)
        if tamper:
            tamper(cls.server.data_dir / "data")
        try:
            cls.start()
        except harness.ServerError as error:
            return str(error)
        return None

    def log_lines(self) -> str:
        text = self.server.log_path.read_text(errors="replace").splitlines()
        picked = [line[line.find("]") + 1:].strip()[:300] for line in text
                  if "not attached" in line or "error" in line.lower()]
        return "\n    ".join(picked[:4]) or "(nothing)"

    def assert_damage_reported(self, what: str, table: str, refused_start: str | None,
                               may_refuse_start: bool) -> None:
        """A query of `table` fails with XX001 or 58000 (or, if may_refuse_start, the server
        refused to start with such an error, or 58030 for the I/O error SQLite makes of a page
        that does not authenticate)."""
        if refused_start is not None:
            if not may_refuse_start:
                self.fail(f"{what}: the server refused to start; a damaged tablespace must be "
                          f"reported to the sessions that use it:\n{refused_start}")
            self.assertRegex(refused_start, r"dbvault serve: ERROR (XX001|58000|58030): ",
                             f"{what}: the server did not start, without saying why")
            return
        connection = self.connect("dba")
        code, detail = None, None
        with connection.cursor() as c:
            try:
                c.execute(f"SELECT count(*), sum(id), min(v), max(v) FROM {table}")
                detail = repr(c.fetchall())
            except psycopg2.Error as error:
                code, detail = error.pgcode, str(error).strip().splitlines()[0]
        if code is None:
            self.fail(f"{what}: SELECT from {table} returned rows from a damaged file: {detail}")
        self.assertIn(code, DAMAGE,
                      f"{what}: SELECT from {table} failed with {code} ({detail}), expected XX001 "
                      "or 58000" + (": damage reported as a permission error (F3)"
                                    if code == "42501" else "")
                      + f"\n  server log: {self.log_lines()}")

    # --- how files are damaged (paths inside data/) ---------------------------------------
    @staticmethod
    def flip(name: str, page: int, offset: int):
        def tamper(data) -> None:
            with open(data / name, "r+b") as f:
                f.seek(page * PAGE + offset)
                byte = f.read(1)
                f.seek(page * PAGE + offset)
                f.write(bytes([byte[0] ^ 0x01]))
        return tamper

    @staticmethod
    def swap(name: str, first: int, second: int):
        def tamper(data) -> None:
            with open(data / name, "r+b") as f:
                f.seek(first * PAGE)
                x = f.read(PAGE)
                f.seek(second * PAGE)
                y = f.read(PAGE)
                assert len(x) == len(y) == PAGE, f"{name} has fewer than {second + 1} pages"
                f.seek(first * PAGE)
                f.write(y)
                f.seek(second * PAGE)
                f.write(x)
        return tamper

    def wal_deleted_after_kill9(self, what: str, name: str, table: str,
                                may_refuse_start: bool) -> None:
        self.assertIsNone(self.bring_up(None), "the undamaged copy must start")
        with self.connect("dba").cursor() as c:
            c.execute(f"UPDATE {table} SET v = 'changed' WHERE id <= 10")
        os.kill(self.server.pid, signal.SIGKILL)
        self.server._process.wait()
        wal = self.server.data_dir / "data" / (name + "-wal")
        self.assertTrue(wal.exists() and wal.stat().st_size > 0,
                        f"{what}: no WAL holding the commit after kill -9: the test proves nothing")
        wal.unlink()
        try:
            self.start()
            refused = None
        except harness.ServerError as error:
            refused = str(error)
        self.assert_damage_reported(what, table, refused, may_refuse_start)

    # --- F3: reported as 42501 on 852afa8 ---------------------------------------------------
    def test_f3_tablespace_page1_altered(self) -> None:
        refused = self.bring_up(self.flip(self.files["dmg1"], 0, 2000))
        self.assert_damage_reported("page 1 of dmg1's file altered", "t1", refused, False)

    def test_f3_tablespace_file_replaced_by_another_tablespaces(self) -> None:
        source, target = self.files["dmg2"], self.files["dmg1"]

        def replace(data) -> None:
            for suffix in ("", "-tdv", "-tde"):
                if (data / (source + suffix)).exists():
                    shutil.copy(data / (source + suffix), data / (target + suffix))
        refused = self.bring_up(replace)
        self.assert_damage_reported("dmg1's file replaced by dmg2's", "t1", refused, False)

    def test_f3_tablespace_wal_deleted_after_kill9(self) -> None:
        self.wal_deleted_after_kill9("dmg1's WAL (holding a commit) deleted after kill -9",
                                     self.files["dmg1"], "t1", False)

    # --- held on 852afa8 ---------------------------------------------------------------------
    def test_held_tablespace_byte_flipped(self) -> None:
        refused = self.bring_up(self.flip(self.files["dmg1"], 5, 700))
        self.assert_damage_reported("a byte of page 6 of dmg1's file flipped", "t1", refused, False)

    def test_held_tablespace_pages_swapped(self) -> None:
        refused = self.bring_up(self.swap(self.files["dmg1"], 3, 6))
        self.assert_damage_reported("pages 4 and 7 of dmg1's file swapped", "t1", refused, False)

    def test_held_main_byte_flipped(self) -> None:
        page = self.main_middle
        refused = self.bring_up(self.flip("main.db", page, 300))
        self.assert_damage_reported(f"a byte of page {page + 1} of main.db flipped", "m", refused,
                                    True)

    def test_held_main_pages_swapped(self) -> None:
        first, second = self.main_middle - 2, self.main_middle + 2
        refused = self.bring_up(self.swap("main.db", first, second))
        self.assert_damage_reported(f"pages {first + 1} and {second + 1} of main.db swapped", "m",
                                    refused, True)

    def test_held_main_wal_deleted_after_kill9(self) -> None:
        self.wal_deleted_after_kill9("main.db's WAL (holding a commit) deleted after kill -9",
                                     "main.db", "m", True)


if __name__ == "__main__":
    client_case.main()
