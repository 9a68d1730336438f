#!/usr/bin/python3
"""attack5: SIGKILL of the server while a tablespace's key and the engine database's key are
being rotated under concurrent writers, then a restart.

Every row whose INSERT was acknowledged before the kill must be readable after the restart
(under the resumed rotation and after it), the rotations must finish (vault.tablespaces shows
the new version, vault.encryption_progress `done`), a session the realm does not admit still
gets no key, and the realm's rows stay refused to it.
"""

import os
import signal
import threading
import time

import psycopg2

from attack5_common import main

REALM_PW = "Crash-realm-pass-5521"


def writer(server, table: str, acked: list, stop: threading.Event) -> None:
    conn = psycopg2.connect(server.dsn("dba"))
    conn.autocommit = True
    cur = conn.cursor()
    n = 0
    try:
        cur.execute(f"UNLOCK REALM cr PASSWORD '{REALM_PW}'")
        while not stop.is_set():
            n += 1
            try:
                cur.execute(f"INSERT INTO {table} (id, v) VALUES ({n}, 'w{n}-' || hex(randomblob(64)))")
                acked.append(n)
            except psycopg2.Error as error:
                if error.pgcode not in ("42501", "55P03", "40001", "53300"):
                    raise
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        pass  # the server was killed
    finally:
        try:
            conn.close()
        except psycopg2.Error:
            pass


def wait_done(s, deadline_s: float = 120) -> list:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        rows = s.ok("auditor", "SELECT object, state FROM vault.encryption_progress")
        if rows and all(state == "done" for _, state in rows):
            return rows
        assert not [r for r in rows if r[1] == "failed"], rows
        time.sleep(0.2)
    raise AssertionError(f"rotations did not finish: {rows}")


def test(s) -> None:
    server = s.server
    s.ok("secadmin", "CREATE TABLESPACE ts ENCRYPTION USING 'AES256'")
    s.ok("dba", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT) TABLESPACE ts")
    s.ok("dba", "CREATE TABLE m (id INTEGER PRIMARY KEY, v TEXT)")
    s.ok("dba", "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 20000) "
                "INSERT INTO t SELECT -x, hex(randomblob(200)) FROM g")
    s.ok("secadmin", f"CREATE REALM cr REQUIRE VAULT PASSWORD '{REALM_PW}'")
    s.ok("secadmin", "ALTER REALM cr ADD TABLE ts.t")
    acked = {"t": [], "m": []}
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(server, name, acked[name], stop))
               for name in acked]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    s.ok("secadmin", "ALTER TABLESPACE ts ROTATE ENCRYPTION KEY")
    s.ok("secadmin", "ALTER TABLESPACE default ROTATE ENCRYPTION KEY")
    time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)
    server._process.wait()
    stop.set()
    for thread in threads:
        thread.join(30)
    s.conns.clear()
    (server.workdir / "port").unlink()  # the restart writes the new port there
    server._serve(["--test-clock-file", str(server.clock_path)], "debug")

    s.ok("dba", f"UNLOCK REALM cr PASSWORD '{REALM_PW}'")
    for table, ids in acked.items():
        found = {row[0] for row in s.ok("dba", f"SELECT id FROM {table} WHERE id > 0")}
        missing = sorted(set(ids) - found)
        assert not missing, f"{table}: acknowledged rows lost: {missing[:10]}"
    assert s.ok("dba", "SELECT count(*) FROM t WHERE id < 0") == [(20000,)]
    progress = wait_done(s)
    versions = dict(row[:2] for row in s.ok("auditor", "SELECT name, key_version FROM "
                                                      "vault.tablespaces"))
    assert versions.get("ts", 0) >= 2 and versions.get("default", 0) >= 2, (versions, progress)
    assert s.ok("dba", "SELECT count(*) FROM t WHERE id < 0") == [(20000,)]
    s.connect("eve", "dba")
    s.refused("eve", "SELECT count(*) FROM t", "42501", "realm cr")


if __name__ == "__main__":
    main(test)
