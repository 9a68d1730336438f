"""Attack: the module itself — its settings, its functions, its audit worker, its tokens —
as a DBA (with pg_signal_backend) and as a superuser, without the realm's password.

- change dbvault.* with SET / ALTER ROLE ... SET, or make a role load a library at login
  (ALTER ROLE / DATABASE ... SET session_preload_libraries, which ALTER SYSTEM may not set);
- replace or re-own the dbvault functions;
- stop the audit worker with pg_terminate_backend (statements needing a durable record would
  then fail for everyone);
- reuse another vault user's token; become the user who unlocked (SET ROLE, SET SESSION
  AUTHORIZATION);
- publish a realm table (CREATE / ALTER PUBLICATION ... TABLE) so that its rows stream out;
- a test clock left in postgresql.conf (dbvault.test_clock_file) without the environment that
  allows it, so that whoever writes the file decides when grants and tokens expire.
"""

import os
import secrets
import time
import unittest

from pgext_cluster import PgextCase, PgextServer, generate_password, main

import harness  # noqa: E402 (on the path pgext_cluster sets)

PASSWORD = "module-pw-" + secrets.token_hex(4)
MARKER = "mk_" + secrets.token_hex(8)


class ModuleSelf(PgextCase):
    OWNER_SQL = f"""
        CREATE TABLE secret (id int, v text);
        INSERT INTO secret VALUES (1, '{MARKER}');
        CREATE TABLE open_table (id int);
        GRANT SELECT ON secret TO secadmin;
    """
    VAULT_SETUP = (
        f"CREATE REALM mr REQUIRE VAULT PASSWORD '{PASSWORD}'",
        "ALTER REALM mr ADD TABLE secret",
    )

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.server.psql_admin(cls.server.dbname, "GRANT pg_signal_backend TO dba")

    def superuser(self, sql: str) -> str:
        """`sql` as the superuser; its output (errors included, ON_ERROR_STOP off)."""
        return self.server.psql_admin(self.server.dbname, f"\\set ON_ERROR_STOP 0\n{sql}")

    def test_a_login_the_vault_does_not_know_cannot_unlock(self):
        # A PostgreSQL role without a vault account (here a superuser-made login) has nobody a
        # token could be issued to: a clear 42501, audited, not a policy-store error.
        self.server.passwords["outsider"] = generate_password("outsider")
        self.server.psql_admin(self.server.dbname, "CREATE ROLE outsider LOGIN PASSWORD "
                               f"'{self.server.passwords['outsider']}'")
        outsider = self.connect("outsider")
        self.assert_sqlstate("42501", outsider, "SELECT * FROM dbvault.unlock_realm('mr', %s)",
                             (PASSWORD,), message="not a vault user")
        self.assert_sqlstate("42501", outsider, "SELECT * FROM secret")

    def test_module_settings_cannot_be_changed(self):
        dba = self.connect("dba")
        self.assert_sqlstate("55P02", dba, "SET dbvault.audit_timeout = 10")
        self.assert_sqlstate("42501", dba, "ALTER ROLE dba SET dbvault.audit_timeout = 10")
        self.assert_sqlstate("42501", dba, "ALTER SYSTEM SET dbvault.audit_timeout = 10")

    def test_login_libraries_cannot_be_stored_for_a_role_or_database(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "ALTER ROLE dba SET local_preload_libraries = 'x'",
                             message="dbvault")
        for target in ("ROLE dba", f"DATABASE {self.server.dbname}", "ROLE ALL"):
            self.superuser(f"ALTER {target} SET session_preload_libraries = 'auto_explain';")
        rows = self.superuser("SELECT count(*) FROM pg_db_role_setting WHERE "
                              "array_to_string(setconfig, ',') LIKE '%preload%';")
        self.assertIn(" 0\n", rows)
        # Taking a stored value away stays possible.
        self.query(dba, "ALTER ROLE dba RESET ALL")

    def test_module_functions_cannot_be_replaced(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "CREATE OR REPLACE FUNCTION dbvault.lock_realm(realm "
                             "text) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$")
        self.assert_sqlstate("42501", dba, "ALTER FUNCTION dbvault.execute(text) OWNER TO dba")
        self.assert_sqlstate("42501", dba, "DROP SCHEMA dbvault CASCADE")

    def test_audit_worker_cannot_be_terminated(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "SELECT pg_terminate_backend(pid) FROM "
                             "pg_stat_activity WHERE pid <> pg_backend_pid()")
        time.sleep(0.2)
        # Durable records still go through: a vault statement succeeds.
        self.query(dba, "SELECT token FROM dbvault.unlock_realm('mr', %s)", (PASSWORD,))

    def test_token_of_another_user_is_refused(self):
        dba = self.connect("dba")
        token = self.query(dba, "SELECT token FROM dbvault.unlock_realm('mr', %s)",
                           (PASSWORD,))[0][0]
        self.assertEqual(self.query(dba, "SELECT v FROM secret"), [(MARKER,)])
        secadmin = self.connect("secadmin")
        self.assert_sqlstate("28P01", secadmin, "SELECT * FROM "
                             "dbvault.unlock_realm_with_token('mr', %s)", (token,))
        self.assert_sqlstate("42501", secadmin, "SELECT v FROM secret")

    def test_becoming_the_unlocking_role_lends_nothing(self):
        out = self.superuser("SET SESSION AUTHORIZATION dba;\nSELECT v FROM secret;\n"
                             "RESET SESSION AUTHORIZATION;\nSET ROLE dba;\nSELECT v FROM secret;")
        self.assertNotIn(MARKER, out)

    def test_publication_of_a_realm_table_is_refused(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "CREATE PUBLICATION leak FOR TABLE secret",
                             message="mr")
        self.query(dba, "CREATE PUBLICATION harmless FOR TABLE open_table")
        self.assert_sqlstate("42501", dba, "ALTER PUBLICATION harmless ADD TABLE secret")
        self.assert_sqlstate("42501", dba, "ALTER PUBLICATION harmless SET TABLE secret")
        self.query(dba, "ALTER PUBLICATION harmless DROP TABLE open_table")


class StrayTestClock(unittest.TestCase):
    """dbvault.test_clock_file without DBVAULT_ALLOW_TEST_CLOCK=1: no vault opens, so even the
    superuser's first statement on a non-catalog object (the fixture's CREATE ROLE) fails
    with 58000 — the cluster is unusable rather than running on a clock a file decides."""

    def test_the_cluster_fails_closed(self):
        self.assertNotEqual(os.environ.get("DBVAULT_ALLOW_TEST_CLOCK"), "1")
        with harness.temp_workdir("pgext-straytestclock") as workdir:
            with self.assertRaises(harness.ServerError) as caught:
                server = PgextServer(workdir, {"dbvault.test_clock_file": "'clock'"})
                server.stop()
            self.assertIn("DBVAULT_ALLOW_TEST_CLOCK=1", str(caught.exception))
            self.assertFalse((workdir / "pgdata" / "postmaster.pid").exists())

if __name__ == "__main__":
    main()
