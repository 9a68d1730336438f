#!/usr/bin/python3
"""attack11: a symbolic link planted in data/ is never followed (docs/encryption.md §9).

Everything the server writes lives in data/. Someone who can write data/ while the server is
stopped replaces a tablespace's files by symbolic links to files elsewhere (or plants a link
where a side file will be created). On 852afa8 the server followed them (F4): it served the
tablespace's rows through the link and created the file's -wal and -shm next to the target,
outside data/.

Cases: the file and its -tde/-tdv records linked (the reproducer), the file alone linked, and a
dangling link planted as its -wal or its -shm (the WAL is empty: the tablespace's checkpointer was
made to truncate it before the copy every case starts from). On 852afa8 the first was served
through the link; the other three were refused, but as 42501 (F3's mask).

After the restart the server must refuse the linked files with a clear error: a refused start
saying `ERROR 58000` / `ERROR 58030`, or statements on the tablespace's table failing with 58000
or 58030 (never rows, never a successful write). No file may appear next to the link targets,
and the targets' bytes must not change.
"""

import hashlib
import shutil

import psycopg2

import client_case
import harness
from test_attack11_damage import checkpoint_tablespace

REFUSED = ("58000", "58030")
SIDE_FILES = ("-tde", "-tdv")  # the encrypting VFS's own files next to a database file


class Symlinks(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLESPACE lnk ENCRYPTION USING 'AES256'", user="secadmin")
        cls.execute("CREATE TABLE lt (id INTEGER PRIMARY KEY, v TEXT) TABLESPACE lnk",
                    "INSERT INTO lt VALUES (1, 'one')")
        checkpoint_tablespace(cls, "lnk")  # its WAL empty: a link may be planted in its place
        cls.file = cls.tablespace_file("lnk").name
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

    # --- the server on a modified copy -----------------------------------------------------
    @classmethod
    def bring_up(cls, modify) -> str | None:
        """Stops the server, restores the copy, applies modify(data/ directory), starts the
        server: None, or the error of a refused start."""
        try:
            cls.server.stop()
        except harness.ServerError:
            pass
        shutil.rmtree(cls.server.data_dir)
        shutil.copytree(cls.golden, cls.server.data_dir, symlinks=True)
        if modify:
            modify(cls.server.data_dir / "data")
        cls.server._status = None
        (cls.server.workdir / "port").unlink(missing_ok=True)
        try:
            cls.server._serve(["--test-clock-file", str(cls.server.clock_path)], "debug")
        except harness.ServerError as error:
            return str(error)
        return None

    def move_out(self, data, suffix: str) -> None:
        """data/<file><suffix> moved to elsewhere/victim.db<suffix>, a link left in its place."""
        target = self.outside / ("victim.db" + suffix)
        shutil.move(data / (self.file + suffix), target)
        (data / (self.file + suffix)).symlink_to(target)

    def log_lines(self) -> str:
        text = self.server.log_path.read_text(errors="replace").splitlines()
        picked = [line[line.find("]") + 1:].strip()[:300] for line in text
                  if "not attached" in line or "error" in line.lower()]
        return "\n    ".join(picked[:4]) or "(nothing)"

    def contents(self) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16]
                for p in sorted(self.outside.iterdir())}

    def assert_refused(self, what: str, modify) -> None:
        before = None

        def prepare(data) -> None:
            nonlocal before
            modify(data)
            before = self.contents()
        refused = self.bring_up(prepare)
        outcomes = []
        if refused is not None:
            self.assertRegex(refused, r"dbvault serve: ERROR (58000|58030): ",
                             f"{what}: the server did not start, without a clear error")
        else:
            connection = self.connect("dba")
            for sql in ("INSERT INTO lt VALUES (2, 'two')", "SELECT id, v FROM lt ORDER BY id"):
                with connection.cursor() as c:
                    try:
                        c.execute(sql)
                        outcomes.append((sql, None, c.fetchall() if c.description else "done"))
                    except psycopg2.Error as error:
                        outcomes.append((sql, error.pgcode, str(error).strip().splitlines()[0]))
        after = self.contents()
        created = sorted(set(after) - set(before))
        changed = sorted(n for n in before if after.get(n) != before[n])
        served = [f"{sql} -> {detail}" for sql, code, detail in outcomes if code is None]
        wrong = [f"{sql} -> {code}: {detail}" for sql, code, detail in outcomes
                 if code is not None and code not in REFUSED]
        problems = []
        if served:
            problems.append("the tablespace was served through the link: " + "; ".join(served))
        if wrong:
            problems.append("refused, but not as 58000 / 58030"
                            + (" (42501: a file error masked as a locked key, as in F3)"
                               if any(code == "42501" for _, code, _ in outcomes) else "")
                            + ": " + "; ".join(wrong) + f"\n  server log: {self.log_lines()}")
        if created:
            problems.append(f"files created outside data/, next to the link target: {created}")
        if changed:
            problems.append(f"link targets written: {changed}")
        if problems:
            self.fail(f"{what}:\n  " + "\n  ".join(problems))

    # --- the cases ---------------------------------------------------------------------------
    def test_f4_tablespace_file_and_side_files_linked(self) -> None:
        def modify(data) -> None:
            for suffix in ("", *SIDE_FILES):
                if (data / (self.file + suffix)).exists():
                    self.move_out(data, suffix)
        self.assert_refused("data/ts_<id>.db and its -tde/-tdv are links to files elsewhere",
                            modify)

    def test_f4_tablespace_file_linked(self) -> None:
        self.assert_refused("data/ts_<id>.db is a link to a file elsewhere",
                            lambda data: self.move_out(data, ""))

    def test_f4_shm_planted_as_dangling_link(self) -> None:
        def modify(data) -> None:
            shm = data / (self.file + "-shm")
            shm.unlink(missing_ok=True)
            shm.symlink_to(self.outside / "planted-shm")
        self.assert_refused("data/ts_<id>.db-shm planted as a link to a missing file elsewhere",
                            modify)

    def test_f4_wal_planted_as_dangling_link(self) -> None:
        def modify(data) -> None:
            wal = data / (self.file + "-wal")
            if wal.exists():
                self.assertEqual(wal.stat().st_size, 0, "the WAL holds frames: it cannot go")
                wal.unlink()
            wal.symlink_to(self.outside / "planted-wal")
        self.assert_refused("data/ts_<id>.db-wal planted as a link to a missing file elsewhere",
                            modify)


if __name__ == "__main__":
    client_case.main()
