#!/usr/bin/python3
"""The SQL runner must be able to fail: each case feeds it a wrong .test file and checks
that it reports FAILED at the right file:line with what was expected and what came back.

Runs against the PostgreSQL 15 reference server (the subject here is the runner, not the
server); skipped (77) where PostgreSQL 15 is not installed.
"""

import contextlib
import io
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients"))

import harness  # noqa: E402
import run_sql_tests  # noqa: E402
from sqltest import engines  # noqa: E402
from sqltest.pgext_adapter import PgextAdapter, VaultResult  # noqa: E402
from sqltest.script import ScriptError, parse_duration, parse_script  # noqa: E402
from sqltest.vault_statements import is_vault_statement  # noqa: E402

SETUP = """\
connect a user=dba

statement ok
CREATE TABLE t (id INTEGER, name TEXT)

statement ok
INSERT INTO t VALUES (1, 'one'), (2, 'two')
"""


def run(text: str, **server_options) -> tuple[str, str]:
    """Runs `text` as a .test file on PostgreSQL; returns (result, printed output)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.test"
        path.write_text(textwrap.dedent(text))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = run_sql_tests.run_file(path, "postgresql", **server_options)
        return result, out.getvalue()


class RunnerFailsWhenItShould(unittest.TestCase):
    def assert_fails_at(self, text: str, line: int, *fragments: str, **server_options) -> None:
        result, out = run(text, **server_options)
        self.assertEqual(result, run_sql_tests.FAILED, out)
        self.assertIn(f"case.test:{line}:" if line else "case.test: ", out)
        for fragment in fragments:
            self.assertIn(fragment, out)

    def test_wrong_row(self):
        self.assert_fails_at(SETUP + "\nquery IT\nSELECT * FROM t ORDER BY id\n----\n1\tone\n"
                             "2\tthree\n", 9, "wrong result", "2  |  three", "2  |  two")

    def test_unsorted_result_needs_rowsort(self):
        self.assert_fails_at(SETUP + "\nquery I\nSELECT id FROM t ORDER BY id DESC\n----\n1\n2\n",
                             9, "wrong result")

    def test_statement_ok_that_errors(self):
        self.assert_fails_at(SETUP + "\nstatement ok\nSELECT * FROM missing\n", 9,
                             "expected success, got error 42P01")

    def test_wrong_sqlstate(self):
        self.assert_fails_at(SETUP + "\nstatement error 42501\nSELECT * FROM missing\n", 9,
                             "expected error 42501", "got error 42P01")

    def test_wrong_message(self):
        self.assert_fails_at(SETUP + "\nstatement error 42P01 realm x is locked\n"
                             "SELECT * FROM missing\n", 9, "containing 'realm x is locked'")

    def test_error_expected_but_success(self):
        self.assert_fails_at(SETUP + "\nstatement error\nSELECT 1\n", 9, "got success")

    def test_row_count(self):
        self.assert_fails_at(SETUP + "\nstatement count 5\nDELETE FROM t\n", 9,
                             "expected 5 rows affected, got 2")

    def test_column_type(self):
        self.assert_fails_at(SETUP + "\nquery I\nSELECT name FROM t WHERE id = 1\n----\none\n", 9,
                             "expected type I, got str")

    def test_column_count(self):
        self.assert_fails_at(SETUP + "\nquery I\nSELECT id, name FROM t\n", 9,
                             "expected 1 columns (I), got 2")

    def test_unknown_variable(self):
        self.assert_fails_at(SETUP + "\nstatement ok\nSELECT '${nope}'\n", 9,
                             "unknown variable ${nope}")

    def test_login_that_should_fail(self):
        self.assert_fails_at("connect a user=dba error 28P01\n", 1, "got a session")

    def test_login_that_should_succeed(self):
        self.assert_fails_at("connect a user=dba password=wrong-password-x\n", 1,
                             "connect as dba failed")

    def test_secret_in_server_log(self):
        # With log_statement=all PostgreSQL writes statements, passwords included, to its
        # log: exactly the leak the runner must catch.
        self.assert_fails_at(
            "connect a user=dba\n\nstatement ok\nCREATE ROLE leaky LOGIN PASSWORD "
            "'leaky-password-1234'\n", 0, "a secret literal in SQL lea...(19 chars) found in",
            settings={"log_statement": "'all'"})

    def test_statement_without_answer_is_cancelled(self):
        from sqltest import executor
        saved, executor.STATEMENT_TIMEOUT_S = executor.STATEMENT_TIMEOUT_S, 1.0
        try:
            self.assert_fails_at("connect a user=dba\n\nstatement ok\nSELECT pg_sleep(30)\n", 3,
                                 "no answer within 1 s")
        finally:
            executor.STATEMENT_TIMEOUT_S = saved

    def test_passing_file_passes(self):
        result, out = run(SETUP + "\nquery IT rowsort\nSELECT * FROM t\n----\n2\ttwo\n1\tone\n")
        self.assertEqual(result, run_sql_tests.PASSED, out)


class ScriptsAreChecked(unittest.TestCase):
    def test_unknown_record(self):
        with self.assertRaisesRegex(ScriptError, r"x.test:2: unknown record type 'statment'"):
            parse_script("x.test", "# c\nstatment ok\nSELECT 1\n")

    def test_query_without_types(self):
        with self.assertRaisesRegex(ScriptError, "x.test:1: query needs column types"):
            parse_script("x.test", "query\nSELECT 1\n")

    def test_every_file_parses(self):
        root = Path(__file__).resolve().parent
        files = sorted(root.rglob("*.test"))
        self.assertGreater(len(files), 5)
        for path in files:
            with self.subTest(path=str(path.relative_to(root))):
                script = parse_script(str(path), path.read_text())
                self.assertTrue(script.records)

    def test_durations(self):
        self.assertEqual(parse_duration("2h"), 7200)
        self.assertEqual(parse_duration("1h 30m"), 5400)
        self.assertEqual(parse_duration("1d1s"), 86401)
        with self.assertRaises(ValueError):
            parse_duration("2 hours")


class PgextMapping(unittest.TestCase):
    """How the pgext target maps a file's statements (no server needed)."""

    def test_vault_statements_as_the_router_sees_them(self):
        for sql in ("UNLOCK REALM r PASSWORD 'x'", "  -- c\n grant dba TO alice",
                    "CREATE USER u PASSWORD 'p'", "ALTER DATABASE ENABLE DATABASE VAULT",
                    "REVOKE VAULT TOKEN 'id'", "lock all realms", "EXPLAIN VAULT SELECT 1",
                    "GRANT VAULT PASSWORD ON REALM r TO u VALID FOR INTERVAL '2 HOURS'"):
            self.assertTrue(is_vault_statement(sql), sql)
        for sql in ("SELECT 1", "GRANT SELECT ON users TO bob", "revoke all on t from bob",
                    "GRANT SELECT, INSERT ON TABLE t TO u", "CREATE TABLE t (a int)",
                    "ALTER TABLE t ADD COLUMN b int", "LOCK TABLE t", "EXPLAIN SELECT 1", ""):
            self.assertFalse(is_vault_statement(sql), sql)

    def test_host_side_of_accounts(self):
        host = PgextAdapter._host_statement
        self.assertIn("CREATE ROLE alice LOGIN PASSWORD 'a''b'",
                      host("CREATE USER alice WITH PASSWORD 'a''b'"))
        self.assertEqual(host("ALTER USER alice PASSWORD 'p'"), "ALTER ROLE alice PASSWORD 'p'")
        self.assertIn("DROP ROLE IF EXISTS alice", host("DROP USER alice"))
        self.assertEqual(host("GRANT DBA TO alice"), "GRANT dba TO alice")
        self.assertEqual(host("REVOKE analysts FROM bob"), "REVOKE analysts FROM bob")
        self.assertIsNone(host("GRANT VAULT_ADMIN TO carol"))
        self.assertIsNone(host("CREATE REALM r"))

    def test_vault_rows_become_columns(self):
        rows = VaultResult([("UNLOCK REALM", {"realm": "r", "token": "t", "n": 3})])
        self.assertEqual([c.name for c in rows.description], ["realm", "token", "n"])
        self.assertEqual(rows.fetchall(), [("r", "t", "3")])
        self.assertEqual(rows.fetchall(), [])
        rows.scroll(0, mode="absolute")
        self.assertEqual(rows.rowcount, 1)
        self.assertIsNone(VaultResult([("LOCK REALM", None)]).description)

    def test_kinds(self):
        self.assertTrue(engines.matches("pgext", "vault"))
        self.assertTrue(engines.matches("dbvault", "vault"))
        self.assertFalse(engines.matches("postgresql", "vault"))
        self.assertFalse(engines.matches("pgext", "dbvault"))
        self.assertEqual(run_sql_tests.unmet_requirement(
            parse_script("x.test", "require vault\n"), "postgresql"), "needs the vault server")
        self.assertIsNone(run_sql_tests.unmet_requirement(
            parse_script("x.test", "require vault\n"), "pgext"))


if __name__ == "__main__":
    from harness.postgres_server import PG_BINDIR
    if not (PG_BINDIR / "postgres").exists():
        harness.skip_or_fail(harness.ServerUnavailable(f"no PostgreSQL 15 in {PG_BINDIR}"))
    unittest.main()
