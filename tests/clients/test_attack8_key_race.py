#!/usr/bin/python3
"""attack8: the key of a realm's own tablespace released to an outsider after its first table
joined the realm (docs/encryption.md §9.4, §9.7).

CREATE REALM r TABLESPACE ts binds ts to r; the DBA's first CREATE TABLE ... TABLESPACE ts
registers the table (a policy change that withdraws every tablespace key). It used to record the
table in the tablespace catalog only after that, and an empty tablespace's key went to any
session: a session r does not admit (eve), running statements while the DBA created the table,
was given ts's key in that window and kept ts attached for real afterwards (8 of 8 rounds on
f6d36e3). Now the key of a realm's own tablespace follows admission to r from its creation, and
a table is in the catalog before its registration. `PRAGMA ts.journal_mode` shows which file a
session has: 'wal' on the real file, 'memory' on the stand-in; eve must see 'memory' in every
round.
"""

import threading
import time

import client_case

EVE_PASSWORD = "eve-a8-race-password-1"
ROUNDS = 8  # each round makes one tablespace; a connection attaches at most 10


class KeyRace(client_case.ServerCase):
    def setUp(self) -> None:
        self.require_dbvault()

    def test_outsider_never_keeps_a_realm_tablespace_key(self) -> None:
        self.execute(f"CREATE USER eve_a8 PASSWORD '{EVE_PASSWORD}'")
        sec = self.connect("secadmin")
        dba = self.connect("dba")
        eve = self.connect("eve_a8", EVE_PASSWORD)
        held = []
        for i in range(ROUNDS):
            ts = f"race8_ts{i}"
            with sec.cursor() as c:
                c.execute(f"CREATE REALM race8_r{i} TABLESPACE {ts}")
            stop = threading.Event()

            def hammer() -> None:
                with eve.cursor() as c:
                    while not stop.is_set():
                        c.execute("SELECT 1")

            thread = threading.Thread(target=hammer)
            thread.start()
            try:
                time.sleep(0.05)
                with dba.cursor() as c:
                    c.execute(f"CREATE TABLE race8_t{i} (id INTEGER PRIMARY KEY, v TEXT) "
                              f"TABLESPACE {ts}")
                time.sleep(0.05)
            finally:
                stop.set()
                thread.join()
            with eve.cursor() as c:
                c.execute(f"PRAGMA {ts}.journal_mode")
                mode = c.fetchone()[0]
            with self.connect("auditor").cursor() as c:
                c.execute("SELECT realm FROM vault.realm_objects WHERE object = %s",
                          (f"{ts}.race8_t{i}",))
                self.assertEqual(c.fetchall(), [(f"race8_r{i}",)], "the table joined its realm")
            if mode != "memory":
                held.append(f"{ts} ({mode})")
        self.assertEqual(held, [], "eve_a8 (not admitted to the realm) holds the real, keyed "
                                   "file of these realm tablespaces after their first table "
                                   "joined the realm")


if __name__ == "__main__":
    client_case.main()
