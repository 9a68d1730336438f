#!/usr/bin/python3
"""attack14: the fourteenth blind attack (audit statements, alerts, COPY, lock waits), its
findings kept closed (stop 27; wip/ holds no reproducer, they are these tests):

- F1: anyone could flood the alert channel with EMERGENCY UNLOCK requests (each a CRITICAL
  record and an alert; 1,100 filled the alert command's queue and hid a lockout). A requester
  now has at most one pending request per realm: the second is 55000.
- F2: the alert command inherited the server's environment, the master key with `kms = env`
  among it. It now gets PATH, HOME, the locale and TZ only: no DBVAULT_* variable.
- F3: a user name holding a newline wrote a forged `critical ... audit alert` line into the
  text log. Control characters in log messages are escaped now (\\n).
- F4: VERIFY AUDIT LOG answered ok after HEAD and the segment were put back to an older copy
  under the running server (the records it had just acknowledged gone). It now compares with
  the seq the server acknowledged: XX001.
- F5: a COPY FROM STDIN in autocommit stopped midway by the vault (the table joined a realm)
  left the session in a failed block (E, 25P02) it never opened. It is idle (I) now, no row kept.
- F6: `COPY ... FROM STDIN` over the extended protocol (libpq's PQsendQueryParams: Parse, Bind,
  Describe, Execute, Sync) ran at Bind and read the client's Describe as COPY data ("unexpected
  Describe message during COPY from stdin"). It runs at Execute now, as in PostgreSQL; a realm
  table is still refused before CopyInResponse.
"""

import os
import tempfile
import time

import psycopg2

import client_case

ENV_OUT = os.path.join(tempfile.mkdtemp(prefix="dbvault-a14-"), "alert-env.txt")
FORGED = "2026-01-01T00:00:00.000Z critical [1] audit alert (audit_verify_failed): FORGED"


class Attack14(client_case.ServerCase):
    SERVER_OPTIONS = {"dbvault": {"config": {"audit.alert_command": f"env > {ENV_OUT}"}}}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind != "dbvault":
            return
        cls.execute("CREATE TABLE free (id INTEGER PRIMARY KEY, v TEXT)",
                    "CREATE USER requester PASSWORD 'a14-requester-1'")
        cls.execute("CREATE REALM r14 REQUIRE VAULT PASSWORD 'a14-realm-password-1'",
                    "CREATE REALM r14b REQUIRE VAULT PASSWORD 'a14-realm-password-2'",
                    user="secadmin")

    def setUp(self) -> None:
        self.require_dbvault()

    def emergency(self, user: str, password: str, realm: str):
        connection = self.connect(user, password)
        with connection.cursor() as c:
            c.execute(f"EMERGENCY UNLOCK REALM {realm} AUTHORIZED BY secadmin REASON 'a14' "
                      "VALID FOR INTERVAL '10 minutes'")
            return c.fetchall()

    def test_f1_one_pending_emergency_request_per_realm(self):
        self.emergency("requester", "a14-requester-1", "r14")
        with self.assertRaises(psycopg2.Error) as caught:
            self.emergency("requester", "a14-requester-1", "r14")
        self.assertEqual(caught.exception.pgcode, "55000")
        self.assertIn("still pending", caught.exception.pgerror)
        self.emergency("requester", "a14-requester-1", "r14b")  # another realm: its own request

    def test_f2_the_alert_command_gets_no_server_environment(self):
        if os.path.exists(ENV_OUT):
            os.remove(ENV_OUT)
        with self.connect("auditor").cursor() as c:  # a failed VERIFY raises an alert
            segment = sorted((self.server.data_dir / "audit").glob("seg-*.log"))[0]
            offset = 64 + 24 + 12 + 3
            with open(segment, "r+b") as f:
                f.seek(offset)
                original = f.read(1)
                f.seek(offset)
                f.write(bytes([original[0] ^ 1]))
            try:
                with self.assertRaises(psycopg2.Error):
                    c.execute("VERIFY AUDIT LOG")
            finally:
                with open(segment, "r+b") as f:
                    f.seek(offset)
                    f.write(original)
        deadline = time.monotonic() + 20
        while not (os.path.exists(ENV_OUT) and os.path.getsize(ENV_OUT) > 0):
            self.assertLess(time.monotonic(), deadline, "the alert command did not run")
            time.sleep(0.05)
        time.sleep(0.1)
        with open(ENV_OUT) as f:
            names = [line.split("=", 1)[0] for line in f.read().splitlines() if "=" in line]
        self.assertIn("PATH", names)
        self.assertEqual([n for n in names if n.startswith("DBVAULT")], [])

    def test_f3_a_newline_in_a_name_forges_no_log_line(self):
        name = "ev\n" + FORGED
        self.execute(f"CREATE USER \"{name}\" PASSWORD 'a14-evil-pass-1'")
        self.emergency(name, "a14-evil-pass-1", "r14")
        log = self.server.log_path.read_text(errors="replace")
        self.assertFalse(any(line.startswith(FORGED) for line in log.splitlines()))
        self.assertIn("ev\\n" + FORGED, log)

    def test_f4_verify_sees_a_rollback_under_the_running_server(self):
        audit_dir = self.server.data_dir / "audit"
        segment = sorted(audit_dir.glob("seg-*.log"))[-1]
        head = audit_dir / "HEAD"
        old_segment, old_head = segment.read_bytes(), head.read_bytes()
        with self.connect("dba").cursor() as c:
            for _ in range(3):  # three sod_violation records, acknowledged
                with self.assertRaises(psycopg2.Error):
                    c.execute("VERIFY AUDIT LOG")
        with self.connect("auditor").cursor() as c:
            c.execute("VERIFY AUDIT LOG")
            self.assertEqual(c.fetchone()[0], "ok")
            current_segment, current_head = segment.read_bytes(), head.read_bytes()
            with open(segment, "r+b") as f:
                f.write(old_segment)
            with open(head, "r+b") as f:
                f.write(old_head)
            try:
                with self.assertRaises(psycopg2.Error) as caught:
                    c.execute("VERIFY AUDIT LOG")
                self.assertEqual(caught.exception.pgcode, "XX001")
                # Which check sees it first depends on whether the old HEAD already named a
                # seq past the old segment's end (the reader's own check) or not (the log's).
                self.assertRegex(caught.exception.pgerror,
                                 "acknowledged records up to seq|was acknowledged")
            finally:
                with open(segment, "r+b") as f:
                    f.write(current_segment)
                with open(head, "r+b") as f:
                    f.write(current_head)
            c.execute("VERIFY AUDIT LOG")
            self.assertEqual(c.fetchone()[0], "ok")

    def test_f5_copy_stopped_midway_leaves_an_autocommit_session_idle(self):
        connection = self.connect("dba")
        case = self

        class Feed:
            def __init__(self):
                self.n = 0

            def read(self, size=-1):
                if self.n == 3:
                    case.execute("CREATE REALM r14c REQUIRE VAULT PASSWORD 'a14-realm-3'",
                                 "ALTER REALM r14c ADD TABLE free", user="secadmin")
                if self.n >= 8:
                    return ""
                self.n += 1
                time.sleep(0.05)
                return f"{self.n}\tv\n"

            readline = read

        with connection.cursor() as c:
            with self.assertRaises(psycopg2.Error) as caught:
                c.copy_expert("COPY free FROM STDIN", Feed(), size=8)
            self.assertEqual(caught.exception.pgcode, "42501")
            self.assertEqual(connection.info.transaction_status,
                             psycopg2.extensions.TRANSACTION_STATUS_IDLE)
            c.execute("SELECT 1")
            self.assertEqual(c.fetchall(), [(1,)])
        self.assertEqual(self.execute("UNLOCK REALM r14c PASSWORD 'a14-realm-3'",
                                      "SELECT count(*) FROM free"), [(0,)])

    def extended_copy(self, sql: bytes, data: bytes) -> list[str]:
        import psycopg
        from psycopg import pq
        info = self.server.conninfo("dba")
        connection = psycopg.connect(**info, autocommit=True)
        self.addCleanup(connection.close)
        pg = connection.pgconn
        pg.send_query_params(sql, None)
        errors = []
        result = pg.get_result()
        if result is not None and result.status == pq.ExecStatus.COPY_IN:
            pg.put_copy_data(data)
            pg.put_copy_end()
            result = pg.get_result()
        while result is not None:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                errors.append(result.error_field(pq.DiagnosticField.SQLSTATE).decode())
            result = pg.get_result()
        return errors

    def test_f6_copy_over_the_extended_protocol(self):
        self.execute("CREATE TABLE ext (id INTEGER PRIMARY KEY, v TEXT)")
        self.assertEqual(self.extended_copy(b"COPY ext FROM STDIN", b"1\tx\n2\ty\n"), [])
        self.assertEqual(self.execute("SELECT id, v FROM ext ORDER BY id"), [(1, "x"), (2, "y")])
        self.execute("CREATE TABLE ext_p (id INTEGER PRIMARY KEY)")
        self.execute("CREATE REALM r14d REQUIRE VAULT PASSWORD 'a14-realm-4'",
                     "ALTER REALM r14d ADD TABLE ext_p", user="secadmin")
        self.assertEqual(self.extended_copy(b"COPY ext_p FROM STDIN", b"1\n"), ["42501"])
        self.assertEqual(self.execute("UNLOCK REALM r14d PASSWORD 'a14-realm-4'",
                                      "SELECT count(*) FROM ext_p"), [(0,)])


if __name__ == "__main__":
    client_case.main()
