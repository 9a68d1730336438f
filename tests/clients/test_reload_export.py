#!/usr/bin/python3
"""EXPORT-class reads and SIGHUP reloads of dbvault.conf.

COPY ... TO and every statement of a program on the export list (audit.export_programs)
are exports: they are audited as data_export, and `FOR EXPORT` command rules apply to them
while ordinary SELECTs of the same table stay allowed. The export list is changed here the
way an operator would: edit dbvault.conf, send SIGHUP; a file that does not load changes
nothing, and a key that needs a restart is logged as such."""

import io
import time

import psycopg2

import client_case

MARKER = "exp-row-7f3a"


class ExportAndReload(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.execute("CREATE TABLE exp_t (id INTEGER PRIMARY KEY, note TEXT)",
                    f"INSERT INTO exp_t VALUES (1, '{MARKER}'), (2, 'second')")

    def setUp(self) -> None:
        self.require_dbvault()

    # --- helpers -------------------------------------------------------------------------
    def restore_conf(self) -> None:
        self.reload_config()

    def copy_out(self, connection, table: str = "exp_t") -> str:
        out = io.StringIO()
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} TO STDOUT", out)
        return out.getvalue()

    def last_export(self) -> tuple:
        # A data_export record is durable before the first row leaves, so it is visible.
        rows = self.execute("SELECT \"user\", json_extract(detail, '$.method'), "
                            "json_extract(detail, '$.objects'), "
                            "json_extract(detail, '$.program_name') FROM vault.audit_log "
                            "WHERE event_type = 'data_export' ORDER BY seq DESC LIMIT 1",
                            user="auditor")
        return rows[0] if rows else ()

    def export_rule(self) -> None:
        self.execute("CREATE COMMAND RULE no_export_exp FOR EXPORT ON TABLE exp_t DENY FROM "
                     "USER dba MESSAGE 'exports of exp_t need approval'", user="secadmin")
        self.addCleanup(self.execute, "DROP COMMAND RULE no_export_exp", user="secadmin")

    # --- EXPORT class --------------------------------------------------------------------
    def test_copy_to_is_audited_as_an_export(self):
        self.assertIn(MARKER, self.copy_out(self.connect()))
        self.assertEqual(self.last_export()[:3], ("dba", "COPY TO STDOUT", "main.exp_t"))

    def test_an_export_rule_refuses_copy_to_but_not_select(self):
        self.export_rule()
        connection = self.connect()
        with connection.cursor() as cursor:
            cursor.execute("SELECT note FROM exp_t WHERE id = 1")
            self.assertEqual(cursor.fetchall(), [(MARKER,)])
        with self.assertRaises(psycopg2.Error) as caught:
            self.copy_out(connection)
        self.assertEqual(caught.exception.pgcode, "42501")
        self.assertIn("exports of exp_t need approval", caught.exception.pgerror)
        with self.assertRaises(psycopg2.Error) as caught:
            self.copy_out(connection, "(SELECT note FROM exp_t)")
        self.assertEqual(caught.exception.pgcode, "42501")

    # --- SIGHUP --------------------------------------------------------------------------
    def test_export_programs_take_effect_on_sighup(self):
        exporter = self.connect(application_name="nightly_export")
        with exporter.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM exp_t")
        self.assertNotEqual(self.last_export()[3:], ("nightly_export",))

        self.addCleanup(self.restore_conf)
        text = self.reload_config('audit.export_programs = "nightly_export, other_tool"')
        self.assertNotIn("ERROR", text.upper().replace("ERRORS", ""))
        with exporter.cursor() as cursor:  # an open session follows the new list too
            cursor.execute("SELECT note FROM exp_t WHERE id = 2")
            self.assertEqual(cursor.fetchall(), [("second",)])
        self.assertEqual(self.last_export(),
                         ("dba", "export program", "main.exp_t", "nightly_export"))
        with exporter.cursor() as cursor:  # no table, no export
            cursor.execute("SELECT 41 + 1")
        self.assertEqual(self.last_export()[3], "nightly_export")

        self.export_rule()
        with self.assertRaises(psycopg2.Error) as caught:
            with exporter.cursor() as cursor:
                cursor.execute("SELECT note FROM exp_t")
        self.assertEqual(caught.exception.pgcode, "42501")
        with self.connect(application_name="psql").cursor() as cursor:
            cursor.execute("SELECT count(*) FROM exp_t")
            self.assertEqual(cursor.fetchall(), [(2,)])

    def test_statement_timeout_takes_effect_on_sighup(self):
        slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 50000000) SELECT count(*) FROM n")
        self.addCleanup(self.restore_conf)
        self.reload_config("statement_timeout_ms = 300")
        started = time.monotonic()
        with self.assertRaises(psycopg2.Error) as caught:
            with self.connect().cursor() as cursor:
                cursor.execute(slow)
        self.assertEqual(caught.exception.pgcode, "57014")
        self.assertLess(time.monotonic() - started, 20)

    def test_a_file_that_does_not_load_changes_nothing(self):
        self.addCleanup(self.restore_conf)
        self.reload_config('audit.export_programs = "nightly_export"')
        text = self.reload_config('audit.export_programs = "someone_else"', "statement_timeout_ms = soon")
        self.assertIn("not reloaded, the previous settings stay", text)
        self.assertIn("statement_timeout_ms", text)
        with self.connect(application_name="nightly_export").cursor() as cursor:
            cursor.execute("SELECT count(*) FROM exp_t")
        self.assertEqual(self.last_export()[3], "nightly_export")

    def test_a_restart_only_key_is_logged_and_kept(self):
        self.addCleanup(self.restore_conf)
        # (--listen is a flag of the test server: flags stay over the file, so not listen)
        text = self.reload_config("kms = env", "max_connections = 3")
        self.assertIn("kms changed", text)
        self.assertIn("max_connections changed", text)
        with self.connect().cursor() as cursor:  # still on the same port
            cursor.execute("SELECT 1")
            self.assertEqual(cursor.fetchall(), [(1,)])


if __name__ == "__main__":
    client_case.main()
