#!/usr/bin/python3
"""The engine database of a real server is encrypted at rest (docs/encryption.md, "The engine
database"): marker rows written over the wire (a table, an index, a view, rows left in the WAL)
appear in no file under the data directory, in plain, UTF-16 or hex form, neither while the
server runs nor after it stopped; the server's release of the engine key is audited. A data directory whose key store is replaced by another data
directory's, whose engine database is a plaintext SQLite file, or whose engine database was
deleted, refuses to start (58000)."""

import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path

import client_case
import harness
from harness.dbvault_server import DbvaultServer


def forms(marker: str) -> list[bytes]:
    """The encodings a marker could be stored in."""
    return [marker.encode(), marker.encode("utf-16-le"), marker.encode("utf-16-be"),
            marker.encode().hex().encode(), marker.encode().hex().upper().encode()]


def scan(root: Path, markers: list[str]) -> list[str]:
    """One line per (marker form, file) found under root."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for marker in markers:
            for needle in forms(marker):
                if needle in data:
                    found.append(f"{needle[:12]!r}... of {marker[:8]}... in {path}")
    return found


class TdeServer(client_case.ServerCase):
    def setUp(self) -> None:
        self.require_dbvault()

    def write_markers(self) -> list[str]:
        markers = [f"TDEMARK{secrets.token_hex(8)}" for _ in range(4)]
        table = f"tde_{secrets.token_hex(4)}"
        self.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, secret TEXT, note TEXT)",
                     f"CREATE INDEX {table}_secret ON {table} (secret)",
                     f"CREATE VIEW {table}_v AS SELECT secret FROM {table} "
                     f"WHERE note = '{markers[3]}'")
        for i, marker in enumerate(markers[:3]):
            self.execute(f"INSERT INTO {table} (id, secret, note) VALUES ({i}, '{marker}', "
                         f"'{marker}-note')")
        rows = self.execute(f"SELECT secret FROM {table} ORDER BY id")
        self.assertEqual([r[0] for r in rows], markers[:3])  # the data reads back
        return markers

    def test_key_release_to_the_server_is_audited(self) -> None:
        rows = self.execute(
            "SELECT \"user\", session_id, json_extract(detail, '$.key_id') FROM "
            "vault.audit_log WHERE event_type = 'key_access'", user="auditor")
        self.assertIn(("dbvault", "0", "tablespace:default@v1"),
                      [tuple(str(v) for v in r) for r in rows])

    def test_no_plaintext_in_the_data_directory(self) -> None:
        # Runs last (unittest orders by name): it stops the server.
        markers = self.write_markers()
        data = self.server.data_dir
        self.assertTrue((data / "data" / "main.db").exists())
        self.assertFalse((data / "data" / "main.db").read_bytes().startswith(b"SQLite format 3"))
        self.assertEqual(scan(data, markers), [], "while the server runs")
        self.server.stop()
        self.assertEqual(scan(data, markers), [], "after the server stopped")
        self.assertEqual(self.server.stop(), 0)


def init_dir(workdir: Path) -> DbvaultServer:
    """A data directory made by dbvault init, with a server started on it (then stopped)."""
    workdir.mkdir()
    server = DbvaultServer(workdir, log_level="info", test_clock=False)
    server.stop()
    return server


def serve_once(server: DbvaultServer) -> subprocess.CompletedProcess:
    """`dbvault serve` on server's data directory; it must exit on its own (a refusal)."""
    return subprocess.run([str(server.binary), "serve", "--data-dir", str(server.data_dir),
                           "--listen", "127.0.0.1:0"], env=server._env(), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


class TdeRefusals(client_case.unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        if harness.requested_kind() != "dbvault":
            raise client_case.unittest.SkipTest("dbvault only")
        cls._context = harness.temp_workdir("tderefusals")
        cls.workdir = cls._context.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls._context.__exit__(None, None, None)

    def assert_refused(self, server: DbvaultServer, *expected: str) -> str:
        result = serve_once(server)
        self.assertNotEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("ERROR 58000", result.stderr)
        for text in expected:
            self.assertIn(text, result.stderr)
        self.assertNotIn("listening", result.stdout)
        return result.stderr

    def test_another_directorys_keys_do_not_open_the_engine_database(self) -> None:
        # Everything but the engine database comes from another data directory (its key
        # store, with the same master key, audit log and policy store, which match each
        # other): only the engine database's key is wrong.
        first = init_dir(self.workdir / "first")
        second = init_dir(self.workdir / "second")
        for name in ("keys", "audit"):
            shutil.rmtree(first.data_dir / name)
            shutil.copytree(second.data_dir / name, first.data_dir / name)
        for stale in first.data_dir.glob("policy.db*"):
            stale.unlink()
        for policy in second.data_dir.glob("policy.db*"):
            shutil.copyfile(policy, first.data_dir / policy.name)
        self.assert_refused(first, "data/main.db: the key does not decrypt it")

    def test_another_master_key_file_refuses_to_start(self) -> None:
        first = init_dir(self.workdir / "mek_first")
        second = init_dir(self.workdir / "mek_second")
        shutil.copyfile(second.data_dir / "keys" / "master.key",
                        first.data_dir / "keys" / "master.key")
        self.assert_refused(first)

    def test_a_deleted_engine_database_refuses_to_start(self) -> None:
        server = init_dir(self.workdir / "deleted")
        engine = server.data_dir / "data" / "main.db"
        for suffix in ("", "-wal", "-shm", "-tde"):
            Path(f"{engine}{suffix}").unlink(missing_ok=True)
        self.assert_refused(server, "is missing")
        self.assertFalse(engine.exists())

    def test_a_plaintext_engine_database_refuses_to_start(self) -> None:
        server = init_dir(self.workdir / "plain")
        engine = server.data_dir / "data" / "main.db"
        for suffix in ("", "-wal", "-shm", "-tde"):
            Path(f"{engine}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(engine) as db:
            db.execute("CREATE TABLE old (a TEXT)")
        self.assert_refused(server, "is not encrypted")


if __name__ == "__main__":
    client_case.main()
