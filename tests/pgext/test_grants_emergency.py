"""The design document's temporary vault password and two-person emergency unlock inside
PostgreSQL 15, each statement run through dbvault.execute by the role it belongs to."""

import pgext_cluster

PASSWORD = "vault_pw_Grant1"


class GrantsAndEmergency(pgext_cluster.PgextCase):
    OWNER_SQL = """
        CREATE TABLE users (id int, ssn text);
        INSERT INTO users VALUES (1, '123-45-6789');
        CREATE TABLE payroll (id int, salary int);
        INSERT INTO payroll VALUES (1, 5000);
    """
    VAULT_SETUP = (f"CREATE REALM pii_protection REQUIRE VAULT PASSWORD '{PASSWORD}'",
                   "ALTER REALM pii_protection ADD TABLE users",
                   f"CREATE REALM hr REQUIRE VAULT PASSWORD '{PASSWORD}x'",
                   "ALTER REALM hr ADD TABLE payroll")

    def test_temporary_vault_password_unlocks_and_is_revocable(self):
        secadmin = self.connect("secadmin")
        rows = self.vault(secadmin, "GRANT VAULT PASSWORD ON REALM pii_protection TO dba "
                                    "VALID FOR INTERVAL '2 HOURS'")
        tag, grant = rows[0]
        self.assertEqual(tag, "GRANT VAULT PASSWORD")
        self.assertEqual(grant["user"], "dba")
        dba = self.connect("dba")
        token = self.query(dba, "SELECT token FROM dbvault.unlock_realm(%s, %s)",
                           ("pii_protection", grant["password"]))[0][0]
        self.assertEqual(self.query(dba, "SELECT ssn FROM users"), [("123-45-6789",)])
        # Revoking the grant ends its tokens, in every backend, at the next statement.
        self.vault(secadmin, "REVOKE VAULT PASSWORD ON REALM pii_protection FROM dba")
        self.assert_sqlstate("42501", dba, "SELECT ssn FROM users")
        self.assert_sqlstate("28P01", self.connect("dba"),
                             "SELECT * FROM dbvault.unlock_realm_with_token(%s, %s)",
                             ("pii_protection", token))

    def test_emergency_unlock_needs_the_named_approver(self):
        dba = self.connect("dba")
        secadmin = self.connect("secadmin")
        rows = self.vault(dba, "EMERGENCY UNLOCK REALM hr AUTHORIZED BY secadmin "
                               "REASON 'INC-2025-10-11-001' VALID FOR INTERVAL '30 minutes'")
        request = rows[0][1]["request_id"]
        self.assert_sqlstate("55000", dba, "SELECT * FROM payroll")
        # Not the requester, not anyone but the named VAULT_ADMIN.
        self.assert_sqlstate("42501", dba, "SELECT * FROM dbvault.execute(%s)",
                             (f"APPROVE EMERGENCY UNLOCK '{request}'",))
        self.assert_sqlstate("42501", self.connect("auditor"), "SELECT * FROM dbvault.execute(%s)",
                             (f"APPROVE EMERGENCY UNLOCK '{request}'",))
        self.vault(secadmin, f"APPROVE EMERGENCY UNLOCK '{request}'")
        self.assertEqual(self.query(dba, "SELECT salary FROM payroll"), [(5000,)])
        # The review: an auditor who neither asked nor approved.
        self.vault(self.connect("auditor"),
                   f"REVIEW EMERGENCY UNLOCK '{request}' NOTES 'outage confirmed'")


if __name__ == "__main__":
    pgext_cluster.main()
