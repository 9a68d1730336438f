"""What the module keeps out of PostgreSQL's own records, and how it fails.

- A vault password or token passed to a dbvault function never reaches the server log
  (log_statement = all, log_min_duration_statement = 0, an error's STATEMENT line) nor
  pg_stat_statements (which keeps the statement with its constants replaced).
- A backend whose vault cannot open (here: the env master-key provider without its
  variables) refuses every query on a non-catalog relation with 58000, while the catalogs
  (psql's \\d) still answer.
"""

import os
import signal
import time
from pathlib import Path

import pgext_cluster

PASSWORD = "Secret_Vault_pw_9f3a"


class SecretsStayOutOfTheLog(pgext_cluster.PgextCase):
    SETTINGS = {"log_statement": "'all'", "log_min_duration_statement": "0",
                "pg_stat_statements.track": "'all'"}
    PRELOAD = ("pg_stat_statements",)

    def test_no_password_or_token_in_the_log_or_pg_stat_statements(self):
        self.server.psql_admin(self.server.dbname, "CREATE EXTENSION pg_stat_statements")
        secadmin = self.connect("secadmin")
        dba = self.connect("dba")
        self.vault(secadmin, f"CREATE REALM logged REQUIRE VAULT PASSWORD '{PASSWORD}'")
        token = self.query(dba, "SELECT token FROM dbvault.unlock_realm(%s, %s)",
                           ("logged", PASSWORD))[0][0]
        self.query(dba, "SELECT * FROM dbvault.unlock_realm_with_token('logged', %s)", (token,))
        self.assert_sqlstate("28P01", dba, "SELECT * FROM dbvault.unlock_realm(%s, %s)",
                             ("logged", PASSWORD + "_wrong"))
        self.psql("dba", f"SELECT 1 FROM dbvault.unlock_realm('logged', '{PASSWORD}')")
        statements = self.server.psql_admin(
            self.server.dbname, "SELECT query FROM pg_stat_statements")
        log = self.server.log_path.read_text()
        # The statements were logged and counted (so this test can fail)...
        self.assertIn("dbvault.unlock_realm", log)
        self.assertIn("dbvault.unlock_realm", statements)
        # ...without their secrets.
        for secret in (PASSWORD, token):
            self.assertNotIn(secret, log)
            self.assertNotIn(secret, statements)


class FailsClosed(pgext_cluster.PgextCase):
    OWNER_SQL = "CREATE TABLE plain (id int);"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # The master key goes missing: the keys were made with the file provider, and the
        # server now starts with the env provider and no DBVAULT_MASTER_KEY_HEX.
        with open(cls.server.data_dir / "postgresql.conf", "a") as conf:
            conf.write("dbvault.master_key_provider = 'env'\n")
        cls.server.restart()

    def test_every_non_catalog_query_is_58000(self):
        dba = self.connect("dba")
        error = self.assert_sqlstate("58000", dba, "SELECT * FROM plain")
        self.assertIn("DBVAULT_MASTER_KEY_HEX", str(error))
        self.assert_sqlstate("58000", dba, "INSERT INTO plain VALUES (1)")
        self.assert_sqlstate("58000", dba, "SELECT * FROM dbvault.execute('LOCK ALL REALMS')")
        self.assertTrue(self.query(dba, "SELECT count(*) FROM pg_class"))
        self.assertIn("plain", self.psql("dba", r"\dt").stdout)


def stop_audit_worker(postmaster: int) -> None:
    """SIGTERM to the postmaster's child "dbvault audit" (a worker without a database
    connection is not in pg_stat_activity), then waits until it has exited."""
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text()
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster and "dbvault audit" in title:
            os.kill(int(proc.name), signal.SIGTERM)
            for _ in range(500):
                if not proc.exists():
                    return
                time.sleep(0.01)
            raise AssertionError("the audit worker did not exit")
    raise AssertionError("no audit worker found")


class AuditWorkerGone(pgext_cluster.PgextCase):
    SETTINGS = {"dbvault.audit_timeout": "'300ms'"}

    def test_statements_that_need_a_record_fail_with_58000(self):
        secadmin = self.connect("secadmin")
        self.vault(secadmin, "CREATE REALM before_the_stop")  # the worker is running
        stop_audit_worker(self.server.pid)
        self.assert_sqlstate("58000", secadmin,
                             "SELECT * FROM dbvault.execute('CREATE REALM after_the_stop')",
                             message="audit")
        # Nothing was created without its record.
        self.assert_sqlstate("42704", secadmin,
                             "SELECT * FROM dbvault.execute('DROP REALM after_the_stop')")


if __name__ == "__main__":
    pgext_cluster.main()
