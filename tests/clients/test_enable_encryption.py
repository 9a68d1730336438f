#!/usr/bin/python3
"""ALTER TABLESPACE ... ENABLE ENCRYPTION USING '<cipher>' over the wire (docs/encryption.md §12.5).

A change of cipher is a key rotation whose new version has the other algorithm: an AES-256-GCM
tablespace is re-encrypted under ChaCha20-Poly1305 online while writers insert and read over
the wire; then every page names the new version, page 1's header names the new algorithm,
vault.tablespaces / vault.settings show it and the old version is gone from keys/keys.db. The
cipher it already has: nothing is done. A server SIGKILLed after the change began (its
re-encryption held back) finishes it at the next start. Only VAULT_ADMIN changes a cipher."""

import threading
import time

import psycopg2
import psycopg2.errors

import client_case
import keys_db
import test_rotation
from test_rotation import trailer_versions

ROWS = 3000
HEADER_ALGORITHM = {1: "AES-256-GCM", 2: "CHACHA20-POLY1305"}  # byte 5 of the file (§3.3)


class EnableEncryption(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLESPACE cts ENCRYPTION USING 'AES256'", user="secadmin")
        cls.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, w INTEGER, v TEXT) TABLESPACE cts")
        for chunk in range(ROWS // 500):
            values = ",".join(f"(-1, 'note-{chunk}-{i}-{'z' * 150}')" for i in range(500))
            cls.execute(f"INSERT INTO cts.notes (w, v) VALUES {values}")

    def setUp(self) -> None:
        self.require_dbvault()

    # The helpers of the rotation's test, which this one extends.
    progress = test_rotation.Rotation.progress
    wait_done = test_rotation.Rotation.wait_done
    count = test_rotation.Rotation.count
    restart = test_rotation.Rotation.restart
    refused_code = test_rotation.Rotation.refused_code

    def file(self):
        return self.tablespace_file("cts")

    def header_algorithm(self) -> str:
        return HEADER_ALGORITHM[self.file().read_bytes()[5]]

    def versions(self) -> list[tuple]:
        return keys_db.versions(self.server.data_dir, "tablespace:cts")

    def shown_algorithm(self) -> tuple[str, str]:
        (row,) = self.execute("SELECT algorithm FROM vault.tablespaces WHERE name = 'cts'",
                              user="auditor")
        settings = dict(self.execute("SELECT name, value FROM vault.settings", user="auditor"))
        return row[0], settings["security.tablespace.cts.algorithm"]

    def test_a_the_cipher_changes_online_under_writers(self) -> None:
        self.assertEqual(self.header_algorithm(), "AES-256-GCM")
        before = self.versions()[-1][0]
        stop = threading.Event()
        committed = [0, 0]
        errors: list[str] = []

        def writer(n: int) -> None:
            connection = psycopg2.connect(**self.server.conninfo("dba"))
            connection.autocommit = True
            try:
                with connection.cursor() as cursor:
                    while not stop.is_set():
                        try:
                            cursor.execute("INSERT INTO cts.notes (w, v) VALUES (%s, 'during')",
                                           (n,))
                            committed[n] += 1
                            cursor.execute("SELECT count(*) FROM cts.notes WHERE w = %s", (n,))
                            self.assertEqual(cursor.fetchone()[0], committed[n])
                        except (psycopg2.errors.InsufficientPrivilege,
                                psycopg2.errors.DataCorrupted) as e:
                            # The key switch's known refusals (docs/encryption.md §12.3):
                            # before anything ran; the next statement takes the key ring.
                            if "not released to this session" not in str(e) and \
                                    "disk I/O error" not in str(e):
                                raise
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"writer {n}: {e!r}")
            finally:
                connection.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        while sum(committed) < 20 and not errors:
            time.sleep(0.01)
        self.execute("ALTER TABLESPACE cts ENABLE ENCRYPTION USING 'CHACHA20'", user="secadmin")
        # Shown at once: the active version has the new cipher.
        self.assertEqual(self.shown_algorithm(), ("CHACHA20-POLY1305", "CHACHA20-POLY1305"))
        at_change = sum(committed)
        state = self.wait_done("cts")
        while sum(committed) < at_change + 20 and not errors:
            time.sleep(0.01)
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual((int(state[1]), int(state[2])), (before, before + 1))
        self.assertEqual(state[3], state[4])
        self.assertEqual(self.count("cts.notes"), ROWS + sum(committed))
        self.assertEqual(self.versions(), [(before + 1, "active")])
        self.assertEqual(set(trailer_versions(self.file())), {before + 1})
        self.assertEqual(self.header_algorithm(), "CHACHA20-POLY1305")
        phases = self.execute(
            "SELECT json_extract(detail, '$.phase'), json_extract(detail, '$.algorithm'), result "
            "FROM vault.audit_log WHERE event_type = 'policy_changed' AND "
            "json_extract(detail, '$.tablespace') = 'cts' ORDER BY seq", user="auditor")
        self.assertEqual(phases[-2:], [("requested", "CHACHA20-POLY1305", "SUCCESS"),
                                       ("completed", "CHACHA20-POLY1305", "SUCCESS")])

    def test_b_the_cipher_it_has_already_changes_nothing(self) -> None:
        versions = self.versions()
        rotations = len(self.progress("cts"))
        current = self.shown_algorithm()[0]
        same = "AES256" if current == "AES-256-GCM" else "CHACHA20-POLY1305"
        self.execute(f"ALTER TABLESPACE cts ENABLE ENCRYPTION USING '{same}'", user="secadmin")
        self.assertEqual(self.versions(), versions)
        self.assertEqual(len(self.progress("cts")), rotations)

    def test_c_a_server_killed_mid_change_finishes_it_at_the_next_start(self) -> None:
        rows = self.count("cts.notes")
        if self.shown_algorithm()[0] == "AES-256-GCM":  # run alone: make it ChaCha first
            self.execute("ALTER TABLESPACE cts ENABLE ENCRYPTION USING 'CHACHA20'", user="secadmin")
            self.wait_done("cts")
        old = self.versions()[-1][0]
        self.restart(hold=True)
        self.execute("ALTER TABLESPACE cts ENABLE ENCRYPTION USING 'AES256'", user="secadmin")
        self.assertEqual(self.versions(), [(old, "decrypt_only"), (old + 1, "active")])
        self.assertEqual(self.shown_algorithm(), ("AES-256-GCM", "AES-256-GCM"))
        # Meanwhile: new pages under the new cipher, old ones read under the old.
        self.execute("INSERT INTO cts.notes (w, v) VALUES (9, 'mid-change')")
        self.assertEqual(self.count("cts.notes"), rows + 1)
        self.assertEqual(self.refused_code("ALTER TABLESPACE cts ENABLE ENCRYPTION USING "
                                           "'CHACHA20'", "secadmin"), "55000")
        self.restart(kill=True)
        state = self.wait_done("cts")
        self.assertEqual((int(state[1]), int(state[2])), (old, old + 1))
        self.assertEqual(self.versions(), [(old + 1, "active")])
        self.assertEqual(self.count("cts.notes"), rows + 1)
        self.assertEqual(set(trailer_versions(self.file())), {old + 1})
        self.assertEqual(self.header_algorithm(), "AES-256-GCM")

    def test_d_only_vault_admin_changes_a_cipher(self) -> None:
        sql = "ALTER TABLESPACE cts ENABLE ENCRYPTION USING 'CHACHA20'"
        self.assertEqual(self.refused_code(sql, "dba"), "42501")
        self.assertEqual(self.refused_code(sql.replace("cts", "nosuch"), "secadmin"), "42704")
        self.assertEqual(self.refused_code(sql.replace("CHACHA20", "AES128"), "secadmin"),
                         "22023")


if __name__ == "__main__":
    client_case.main()
