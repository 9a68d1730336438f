"""The shared policy version (docs/postgresql.md §4, "Policy changes"): a policy change made
in one backend is decided by another from its next statement on, and nothing else moves
the version — an UNLOCK, a LOCK or a view of one connection must not make every other
backend rebuild its snapshot (a pool unlocking each connection would make every backend
rebuild once per unlock). Counted with dbvault.decision_timing, whose exit line gives each
backend's reloads."""

import psycopg2

import pgext_cluster

PASSWORD = "vault_pw_Version1"
RULE = "CREATE COMMAND RULE pv_no_read FOR SELECT ON TABLE pv_t DENY FROM ROLE dba"


class PolicyVersion(pgext_cluster.PgextCase):
    SETTINGS = {"dbvault.decision_timing": "on"}
    OWNER_SQL = """
        CREATE TABLE pv_t (id int);
        INSERT INTO pv_t VALUES (1);
        CREATE TABLE pv_secret (id int);
    """
    VAULT_SETUP = (f"CREATE REALM pv_realm REQUIRE VAULT PASSWORD '{PASSWORD}'",
                   "ALTER REALM pv_realm ADD TABLE pv_secret")

    def reader(self, application: str):
        """A dba backend that has decided once (its vault is open, its snapshot current)."""
        connection = psycopg2.connect(**self.server.conninfo("dba", application_name=application))
        connection.autocommit = True
        self.assertEqual(self.query(connection, "SELECT id FROM pv_t"), [(1,)])
        return connection

    def reloads_after_close(self, connection, application: str) -> dict[str, int]:
        self.query(connection, "SELECT id FROM pv_t")
        connection.close()
        (line,) = self.server.decision_timings(application)
        return line

    def test_unlock_lock_and_views_move_no_policy(self):
        reader = self.reader("pv_quiet")
        other = self.connect("dba")
        for _ in range(3):
            token = self.query(other, "SELECT token FROM dbvault.unlock_realm('pv_realm', %s)",
                               (PASSWORD,))[0][0]
            self.query(other, "SELECT * FROM dbvault.unlock_realm_with_token('pv_realm', %s)",
                       (token,))
            self.query(other, "SELECT * FROM dbvault.lock_realm('pv_realm')")
        line = self.reloads_after_close(reader, "pv_quiet")
        self.assertEqual(line["reloads"], 0, line)
        self.assertGreaterEqual(line["decisions"], 2, line)
        self.assertGreaterEqual(line["version_checks"], 2, line)

    def test_a_policy_change_reaches_an_open_backend_at_its_next_statement(self):
        reader = self.reader("pv_moved")
        secadmin = self.connect("secadmin")
        self.vault(secadmin, RULE)
        try:
            self.assert_sqlstate("42501", reader, "SELECT id FROM pv_t")
        finally:
            self.vault(secadmin, "DROP COMMAND RULE pv_no_read")
        line = self.reloads_after_close(reader, "pv_moved")
        self.assertEqual(line["reloads"], 2, line)

    def test_a_failed_policy_statement_moves_nothing(self):
        reader = self.reader("pv_failed")
        secadmin = self.connect("secadmin")
        self.assert_sqlstate("42710", secadmin, "SELECT * FROM dbvault.execute(%s)",
                             (f"CREATE REALM pv_realm REQUIRE VAULT PASSWORD '{PASSWORD}'",))
        self.assert_sqlstate("28P01", self.connect("dba"),
                             "SELECT * FROM dbvault.unlock_realm('pv_realm', 'wrong')")
        line = self.reloads_after_close(reader, "pv_failed")
        self.assertEqual(line["reloads"], 0, line)


if __name__ == "__main__":
    pgext_cluster.main()
