"""The design document's three command-rule examples inside PostgreSQL 15, checked by the
executor hook for the backend's session, with application_name as program_name."""

import psycopg2

import pgext_cluster


class CommandRules(pgext_cluster.PgextCase):
    OWNER_SQL = """
        CREATE TABLE users (id int, name text, ssn text);
        INSERT INTO users VALUES (1, 'ann', '123-45-6789'), (2, 'bo', '987-65-4321');
        CREATE TABLE financial_records (id int, amount int);
        INSERT INTO financial_records VALUES (1, 100);
        GRANT SELECT ON financial_records TO PUBLIC;
    """
    VAULT_SETUP = (
        "CREATE COMMAND RULE no_drop_pii FOR DELETE ON TABLE users DENY FROM ROLE dba "
        "MESSAGE 'PII tables cannot be dropped without approval'",
        "CREATE COMMAND RULE no_export_ssn FOR SELECT ON COLUMN users.ssn "
        "DENY WHEN program_name = 'export_tool' "
        "MESSAGE 'SSN export requires security team approval'",
        # Always outside the hours here (a PostgreSQL backend has no test clock): the rule's
        # time function is evaluated, and denies.
        "CREATE COMMAND RULE business_hours_only FOR SELECT ON TABLE financial_records "
        "DENY WHEN HOUR(CURRENT_TIMESTAMP) BETWEEN 0 AND 23 "
        "MESSAGE 'Financial data accessible only during business hours'",
        "CREATE COMMAND RULE no_blocked_app FOR CONNECT ON ANY "
        "DENY WHEN program_name = 'blocked_app' MESSAGE 'this program may not connect'",
    )

    def test_no_drop_pii_denies_the_dba_role(self):
        dba = self.connect("dba")
        self.assert_sqlstate("42501", dba, "DELETE FROM users WHERE id = 2",
                             message="PII tables cannot be dropped without approval")
        self.assertEqual(self.query(dba, "SELECT count(*) FROM users"), [(2,)])

    def test_no_export_ssn_follows_application_name(self):
        tool = self.connect("dba", application_name="export_tool")
        self.assert_sqlstate("42501", tool, "SELECT ssn FROM users",
                             message="SSN export requires security team approval")
        self.assertEqual(self.query(tool, "SELECT name FROM users WHERE id = 1"), [("ann",)])
        psql = self.connect("dba", application_name="psql")
        self.assertEqual(self.query(psql, "SELECT ssn FROM users WHERE id = 1"),
                         [("123-45-6789",)])

    def test_business_hours_only(self):
        self.assert_sqlstate("42501", self.connect("dba"), "SELECT * FROM financial_records",
                             message="Financial data accessible only during business hours")

    def test_connect_rule_refuses_the_login(self):
        with self.assertRaises(psycopg2.OperationalError) as caught:
            psycopg2.connect(**self.server.conninfo("dba", application_name="blocked_app"))
        self.assertIn("this program may not connect", str(caught.exception))
        self.connect("dba", application_name="reporting")

    def test_login_and_violations_reach_the_audit_log(self):
        auditor = self.connect("auditor", application_name="audit_console")
        # A denial is recorded durably, and with it every record queued before (the login).
        self.assert_sqlstate("42501", auditor, "SELECT * FROM financial_records")
        logins = self.query(auditor, "SELECT ip_address, detail FROM dbvault.audit_log "
                                     "WHERE event_type = 'login' AND \"user\" = 'auditor' "
                                     "ORDER BY seq")
        self.assertTrue(logins, "no login event for auditor")
        ip_address, detail = logins[-1]
        self.assertEqual(ip_address, "127.0.0.1")
        self.assertEqual(detail["program_name"], "audit_console")
        self.assertEqual(detail["auth_method"], "scram-sha-256")
        denials = self.query(auditor, "SELECT detail->>'rule' FROM dbvault.audit_log "
                                      "WHERE event_type = 'command_rule_violation' "
                                      "AND \"user\" = 'auditor'")
        self.assertIn(("business_hours_only",), denials)

    def test_only_an_audit_viewer_reads_the_audit_log(self):
        self.assert_sqlstate("42501", self.connect("dba"), "SELECT * FROM dbvault.audit_log",
                             message="AUDIT_VIEWER")


if __name__ == "__main__":
    pgext_cluster.main()
