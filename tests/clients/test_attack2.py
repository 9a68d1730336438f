#!/usr/bin/python3
"""A short blind attack on this stop's new surfaces (docs/server.md "Exports" and
"Reloading", docs/audit.md "Repeated realm accesses", docs/dialect.md §8 vault statement
parameters), with psycopg 3 binding on the server (prepare=True).

Found: a statement prepared (Parse) before a SIGHUP put its program on
`audit.export_programs` kept running as a non-export: no FOR EXPORT rule, no data_export
record. The other attacks held and stay here as regression tests."""

import json
import os
import socket

import psycopg

import client_case

REALM_PASSWORD = "attack2-realm-password"
CANARY = "Attack2CanaryPw_7f3q"


def setup_realm(case) -> None:
    case.execute("CREATE TABLE pii (id INTEGER PRIMARY KEY, ssn TEXT)",
                 "INSERT INTO pii VALUES (1, '078-05-1120'), (2, '111-22-3333')",
                 "CREATE TABLE notes (n TEXT)", "INSERT INTO notes VALUES ('note-row')",
                 "CREATE VIEW pii_v AS SELECT * FROM pii")
    case.execute("CREATE REALM r DESCRIPTION 'attack2' REQUIRE VAULT PASSWORD",
                 "ALTER REALM r ADD TABLE pii", "ALTER REALM r ADD TABLE notes",
                 f"ALTER REALM r SET VAULT PASSWORD '{REALM_PASSWORD}'",
                 "CREATE COMMAND RULE no_bulk_pii FOR EXPORT ON TABLE pii DENY FROM ROLE dba",
                 user="secadmin")


class Attack2Case(client_case.ServerCase):
    def connect3(self, user="dba", **params):
        conn = psycopg.connect(**self.server.conninfo(user, None, **params), autocommit=True)
        self.addCleanup(conn.close)
        return conn

    def unlocked(self, **params):
        conn = self.connect3(**params)
        conn.execute("UNLOCK REALM r PASSWORD %s", (REALM_PASSWORD,), prepare=True)
        return conn

    def audit_details(self, event_type: str, program: str) -> list[dict]:
        rows = self.execute(
            f"SELECT detail FROM vault.audit_log WHERE event_type = '{event_type}' ORDER BY seq",
            user="auditor")
        details = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
        return [d for d in details if d.get("program_name") == program]


class ExportListReload(Attack2Case):
    """Hole (fixed): the export flag of a server-side prepared statement was fixed at Parse."""

    def test_statement_prepared_before_the_reload_is_an_export_after_it(self):
        self.require_dbvault()
        setup_realm(self)
        conn = self.unlocked(application_name="late_export_tool")
        ruled = "SELECT ssn FROM pii WHERE ssn <> %s"
        unruled = "SELECT n FROM notes WHERE n <> %s"
        self.assertEqual(len(conn.execute(ruled, ("x",), prepare=True).fetchall()), 2)
        self.assertEqual(len(conn.execute(unruled, ("x",), prepare=True).fetchall()), 1)
        self.assertEqual(self.audit_details("data_export", "late_export_tool"), [])
        self.reload_config("audit.export_programs = late_export_tool")
        with self.assertRaises(psycopg.Error) as denied:
            conn.execute(ruled, ("x",), prepare=True).fetchall()
        self.assertEqual(denied.exception.sqlstate, "42501")
        self.assertIn("no_bulk_pii", str(denied.exception))
        self.assertEqual(len(conn.execute(unruled, ("x",), prepare=True).fetchall()), 1)
        exports = self.audit_details("data_export", "late_export_tool")
        self.assertEqual([e["objects"] for e in exports], ["main.notes"])


class HeldAttacks(Attack2Case):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.kind == "dbvault":
            setup_realm(cls)

    def test_copy_shapes_and_prepared_reads_meet_the_export_rule(self):
        self.require_dbvault()
        conn = self.unlocked()
        cur = conn.cursor()
        for copy in ["COPY pii TO STDOUT", "COPY (SELECT * FROM pii) TO STDOUT",
                     "COPY pii_v TO STDOUT", "COPY (SELECT * FROM pii_v) TO STDOUT",
                     "COPY (WITH x AS (SELECT ssn FROM pii) SELECT * FROM x) TO STDOUT",
                     "COPY (SELECT (SELECT ssn FROM pii LIMIT 1)) TO STDOUT",
                     "COPY (SELECT n FROM notes WHERE n IN (SELECT ssn FROM pii)) TO STDOUT",
                     "COPY main.pii (ssn) TO STDOUT WITH (FORMAT csv)"]:
            with self.subTest(copy=copy), self.assertRaises(psycopg.Error) as denied:
                with cur.copy(copy) as out:
                    list(out)
            self.assertEqual(denied.exception.sqlstate, "42501", copy)
        self.assertEqual(len(cur.execute("SELECT * FROM pii").fetchall()), 2)  # not an export
        tool = self.unlocked(application_name="exporter_x")
        self.reload_config("audit.export_programs = exporter_x")
        for query in ["SELECT ssn FROM pii WHERE id = %s", "SELECT ssn FROM pii_v WHERE id = %s",
                      "WITH x AS (SELECT ssn, id FROM pii) SELECT ssn FROM x WHERE id = %s"]:
            with self.subTest(query=query), self.assertRaises(psycopg.Error) as denied:
                tool.execute(query, (1,), prepare=True).fetchall()
            self.assertEqual(denied.exception.sqlstate, "42501")

    def test_policy_made_after_parse_applies_to_the_prepared_statement(self):
        self.require_dbvault()
        self.execute("CREATE TABLE later (x TEXT)", "INSERT INTO later VALUES ('later-row')")
        tool = self.connect3(application_name="exporter_y")
        self.reload_config("audit.export_programs = exporter_x, exporter_y")
        query = "SELECT x FROM later WHERE x <> %s"
        self.assertEqual(len(tool.execute(query, ("z",), prepare=True).fetchall()), 1)
        self.execute("CREATE REALM r_later DESCRIPTION 'attack2' REQUIRE VAULT PASSWORD",
                     "ALTER REALM r_later ADD TABLE later",
                     f"ALTER REALM r_later SET VAULT PASSWORD '{REALM_PASSWORD}'", user="secadmin")
        with self.assertRaises(psycopg.Error) as locked:
            tool.execute(query, ("z",), prepare=True).fetchall()
        self.assertEqual(locked.exception.sqlstate, "42501")
        tool.execute("UNLOCK REALM r_later PASSWORD %s", (REALM_PASSWORD,), prepare=True)
        self.assertEqual(len(tool.execute(query, ("z",), prepare=True).fetchall()), 1)
        self.execute("CREATE COMMAND RULE no_later FOR EXPORT ON TABLE later DENY FROM ROLE dba",
                     user="secadmin")
        with self.assertRaises(psycopg.Error) as denied:
            tool.execute(query, ("z",), prepare=True).fetchall()
        self.assertIn("no_later", str(denied.exception))

    def test_vault_parameters_are_only_literals_and_never_logged(self):
        self.require_dbvault()
        conn = self.connect3()
        attempts = [("UNLOCK REALM %s PASSWORD %s", ("r", CANARY), "42601"),
                    ("LOCK REALM %s", ("r",), "42601"),
                    ("UNLOCK REALM r PASSWORD %s %s", (CANARY, CANARY + "2"), "42601"),
                    ("UNLOCK REALM r PASSWORD %s", (CANARY + "'; LOCK REALM r; --",), "28P01"),
                    ("GRANT VAULT PASSWORD ON REALM r TO %s VALID FOR INTERVAL '1 hour'",
                     ("dba",), "42601")]
        for sql, params, state in attempts:
            with self.subTest(sql=sql), self.assertRaises(psycopg.Error) as failed:
                conn.execute(sql, params, prepare=True)
            self.assertEqual(failed.exception.sqlstate, state)
        log = self.server.log_path.read_bytes()
        self.assertNotIn(CANARY.encode(), log)

    def test_abrupt_disconnect_keeps_every_execution_accounted(self):
        self.require_dbvault()
        conn = self.unlocked(application_name="abrupt_tool")
        for i in range(5):
            conn.execute("SELECT ssn FROM pii WHERE id = %s", (i,), prepare=True).fetchall()
        raw = socket.socket(fileno=os.dup(conn.pgconn.socket))
        raw.shutdown(socket.SHUT_RDWR)
        raw.close()
        deadline_rows = []
        for _ in range(100):
            deadline_rows = self.audit_details("realm_access", "abrupt_tool")
            if any("repeats" in d for d in deadline_rows):
                break
            self.execute("SELECT 1", user="auditor")
        # The first execution's record counts 1, the run's record its `repeats`.
        total = sum(d.get("repeats", 1) for d in deadline_rows)
        self.assertEqual(total, 5, deadline_rows)


if __name__ == "__main__":
    client_case.main()
