#!/usr/bin/python3
"""realm_access records for repeated statements (docs/audit.md, realm_access).

Every execution of a statement on a realm object is audited. The first of a run of
executions of the same shape (text without its literals, same objects, same policy) is
recorded before it runs; the repeats within audit.realm_access_coalesce_ms are counted and
written as one record with `repeats` when the run ends: when the window has passed (also in an
idle session), when the policy changes, when the session reads vault.audit_log, at logout, and
when it is the oldest of the 32 runs a session keeps open and a new shape comes. Runs of
interleaved shapes (the statements of one transaction) are counted side by side. With the setting 0 every execution gets its own record. No execution goes
unaccounted: summing `repeats` where a record has it, else 1, gives the executions."""

import time

import client_case

REALM_PASSWORD = "coalesce-realm-pw-5b1e"


class RealmAccessRepeats(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLE ra_t (id INTEGER PRIMARY KEY, v TEXT)",
                    "INSERT INTO ra_t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        cls.execute(f"CREATE REALM ra_realm REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
                    "ALTER REALM ra_realm ADD TABLE ra_t", user="secadmin")

    def setUp(self) -> None:
        self.require_dbvault()
        self.addCleanup(self.reload_config)

    def session(self, program: str):
        connection = self.connect(application_name=program)
        with connection.cursor() as cursor:
            cursor.execute(f"UNLOCK REALM ra_realm PASSWORD '{REALM_PASSWORD}'")
        return connection

    def records(self, program: str) -> list[tuple]:
        return self.execute(
            "SELECT coalesce(json_extract(detail, '$.repeats'), 0), json_extract(detail, "
            "'$.query') FROM vault.audit_log WHERE event_type = 'realm_access' AND "
            f"json_extract(detail, '$.program_name') = '{program}' ORDER BY seq", user="auditor")

    def run_selects(self, connection, n: int) -> None:
        with connection.cursor() as cursor:
            for i in range(n):
                cursor.execute("SELECT v FROM ra_t WHERE id = %s", (i % 3 + 1,))
                cursor.fetchall()

    def wait_for_records(self, program: str, count: int) -> list[tuple]:
        deadline = time.monotonic() + 10
        while len(self.records(program)) < count:
            self.assertLess(time.monotonic(), deadline, self.records(program))
            time.sleep(0.05)
        return self.records(program)

    def test_interleaved_shapes_are_counted_side_by_side(self):
        self.reload_config("audit.realm_access_coalesce_ms = 600000")
        connection = self.session("repeats_interleaved")
        with connection.cursor() as cursor:
            for i in range(30):  # a transaction's statements, again and again
                cursor.execute("SELECT v FROM ra_t WHERE id = %s", (i % 3 + 1,))
                cursor.fetchall()
                cursor.execute("SELECT count(*) FROM ra_t")
                cursor.fetchall()
        count_query = 'SELECT count(*) AS "count" FROM ra_t'
        self.assertEqual(self.records("repeats_interleaved"),  # the first of each, at once
                         [(0, "SELECT v FROM ra_t WHERE id = ?"), (0, count_query)])
        connection.close()
        self.assertEqual(sorted(self.wait_for_records("repeats_interleaved", 4)[2:]),
                         sorted([(29, "SELECT v FROM ra_t WHERE id = ?"), (29, count_query)]))

    def test_the_oldest_run_ends_when_a_33rd_shape_comes(self):
        self.reload_config("audit.realm_access_coalesce_ms = 600000")
        connection = self.session("repeats_many")
        with connection.cursor() as cursor:
            cursor.execute("SELECT v FROM ra_t WHERE id = 1")
            cursor.execute("SELECT v FROM ra_t WHERE id = 2")  # a repeat of run 0
            for i in range(1, 33):  # runs 1..31 fill the 32 places; run 32 ends run 0
                cursor.execute(f"SELECT v AS v{i} FROM ra_t WHERE id = 1")
        records = self.records("repeats_many")
        self.assertEqual(len(records), 34, records)
        self.assertEqual(records[32], (1, "SELECT v FROM ra_t WHERE id = ?"))
        self.assertEqual(records[33], (0, "SELECT v AS v32 FROM ra_t WHERE id = ?"))

    def test_repeats_are_written_at_logout(self):
        self.reload_config("audit.realm_access_coalesce_ms = 600000")
        connection = self.session("repeats_logout")
        self.run_selects(connection, 20)
        connection.close()
        deadline = time.monotonic() + 10
        while self.records("repeats_logout") != [(0, "SELECT v FROM ra_t WHERE id = ?"),
                                                 (19, "SELECT v FROM ra_t WHERE id = ?")]:
            self.assertLess(time.monotonic(), deadline, self.records("repeats_logout"))
            time.sleep(0.05)

    def test_an_idle_session_writes_its_repeats_when_the_window_ends(self):
        self.reload_config("audit.realm_access_coalesce_ms = 300")
        connection = self.session("repeats_idle")
        with connection.cursor() as cursor:  # well inside one window
            cursor.execute("SELECT v FROM ra_t WHERE id = 1; SELECT v FROM ra_t WHERE id = 2")
        deadline = time.monotonic() + 10
        while len(self.records("repeats_idle")) < 2:  # the session stays open and idle
            self.assertLess(time.monotonic(), deadline, self.records("repeats_idle"))
            time.sleep(0.05)
        self.assertEqual(self.records("repeats_idle"),
                         [(0, "SELECT v FROM ra_t WHERE id = ?"),
                          (1, "SELECT v FROM ra_t WHERE id = ?")])

    def test_the_session_reading_the_log_sees_its_own_repeats(self):
        self.reload_config("audit.realm_access_coalesce_ms = 600000")
        connection = self.session("repeats_own")
        self.run_selects(connection, 5)
        # The auditor's session does not see the uncounted repeats of another session yet...
        self.assertEqual(len(self.records("repeats_own")), 1)
        connection.close()  # ... and logout writes them.
        deadline = time.monotonic() + 10
        while len(self.records("repeats_own")) < 2:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)

    def test_zero_records_every_execution(self):
        self.reload_config("audit.realm_access_coalesce_ms = 0")
        connection = self.session("repeats_off")
        self.run_selects(connection, 7)
        self.assertEqual(self.records("repeats_off"), [(0, "SELECT v FROM ra_t WHERE id = ?")] * 7)

    def test_a_policy_change_ends_the_run(self):
        self.reload_config("audit.realm_access_coalesce_ms = 600000")
        connection = self.session("repeats_policy")
        self.run_selects(connection, 3)
        self.execute("CREATE COMMAND RULE ra_noop FOR DELETE ON TABLE ra_t DENY FROM USER auditor",
                     user="secadmin")
        self.addCleanup(self.execute, "DROP COMMAND RULE ra_noop", user="secadmin")
        self.run_selects(connection, 1)
        self.assertEqual([r[0] for r in self.records("repeats_policy")], [0, 2, 0])


if __name__ == "__main__":
    client_case.main()
