#!/usr/bin/python3
"""Client-certificate logins (docs/server.md §2: users in `auth.cert_users` log in with a
certificate signed by `tls.client_ca` whose subject CN is the user; PostgreSQL: ssl_ca_file
and a `cert` line in pg_hba.conf). A throwaway CA and client certificates are made with
openssl; psql presents them with sslcert/sslkey and no password."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import client_case

CERT_USER = "certuser"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory: Path, name: str) -> None:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj",
            f"/CN={name}", cwd=directory)


def make_client_cert(directory: Path, name: str, cn: str, ca: str) -> None:
    """name.crt / name.key: a clientAuth certificate for subject CN `cn`, signed by `ca`."""
    (directory / "client.ext").write_text("extendedKeyUsage = clientAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=directory)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", "client.ext",
            cwd=directory)
    os.chmod(directory / f"{name}.key", 0o600)  # libpq refuses a key others can read


class ClientCert(client_case.ServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.certs = Path(tempfile.mkdtemp(prefix="dbvault-certs-"))
        os.chmod(cls.certs, 0o755)  # PostgreSQL, run as user postgres, reads the CA
        make_ca(cls.certs, "ca")
        make_ca(cls.certs, "other_ca")
        make_client_cert(cls.certs, "certuser", CERT_USER, "ca")
        make_client_cert(cls.certs, "certuser_other_ca", CERT_USER, "other_ca")
        make_client_cert(cls.certs, "dba", "dba", "ca")
        os.chmod(cls.certs / "ca.crt", 0o644)
        ca = str(cls.certs / "ca.crt")
        cls.SERVER_OPTIONS = {
            "dbvault": {"config": {"tls.client_ca": ca, "auth.cert_users": CERT_USER}},
            "postgresql": {"settings": {"ssl_ca_file": f"'{ca}'"},
                           "hba_lines": [f"hostssl all {CERT_USER} 127.0.0.1/32 cert"]}}
        try:
            super().setUpClass()
            cls.cert_user_password = "certuser-Password-2025!"
            statement = (f"CREATE USER {CERT_USER} PASSWORD '{cls.cert_user_password}'"
                         if cls.kind == "dbvault" else
                         f"CREATE ROLE {CERT_USER} LOGIN PASSWORD '{cls.cert_user_password}'")
            cls.execute(statement)
        except BaseException:
            shutil.rmtree(cls.certs, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certs, ignore_errors=True)

    def psql(self, user: str, cert: str | None, password: str | None = None):
        """psql -c 'SELECT current_user' as `user` presenting certs/<cert>.crt (or none), with
        `password` or none at all (no PGPASSWORD, no password file)."""
        params = {"sslcert": str(self.certs / f"{cert}.crt"),
                  "sslkey": str(self.certs / f"{cert}.key")} if cert else {}
        env = self.server.libpq_env(user, **params)
        env.pop("PGPASSWORD", None)
        env["PGPASSFILE"] = os.devnull
        if password is not None:
            env["PGPASSWORD"] = password
        return subprocess.run(["psql", "-X", "-A", "-t", "-c", "SELECT current_user"], env=env,
                              capture_output=True, text=True, timeout=60)

    def assert_refused(self, result, *messages: str) -> None:
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertTrue(any(m in result.stderr for m in messages), result.stderr)

    def test_valid_certificate_logs_in_without_password(self):
        result = self.psql(CERT_USER, "certuser")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), CERT_USER)

    def test_certificate_from_another_ca_is_refused(self):
        self.assert_refused(self.psql(CERT_USER, "certuser_other_ca"), "certificate",
                            "SSL error", "alert unknown ca")

    def test_certificate_of_another_user_is_refused(self):
        self.assert_refused(self.psql(CERT_USER, "dba"),
                            f'certificate authentication failed for user "{CERT_USER}"')

    def test_cert_user_without_certificate_is_refused(self):
        self.assert_refused(self.psql(CERT_USER, None, password=self.cert_user_password),
                            "certificate")

    def test_password_user_cannot_use_a_certificate_instead(self):
        self.assert_refused(self.psql("dba", "dba"), "no password supplied")
        result = self.psql("dba", "dba", password=self.server.passwords["dba"])
        self.assertEqual(result.returncode, 0, result.stderr)  # the password still works

    def test_certificate_login_is_audited(self):
        if self.kind != "dbvault":
            self.skipTest("the audit log is dbvault's")
        self.assertEqual(self.psql(CERT_USER, "certuser").returncode, 0)
        self.psql(CERT_USER, "dba")
        rows = self.execute("SELECT event_type, result, json_extract(detail, '$.auth_method') "
                            "FROM vault.audit_log WHERE \"user\" = "
                            f"'{CERT_USER}' ORDER BY seq DESC LIMIT 3", user="auditor")
        self.assertIn(("login_failed", "FAILURE", "cert"), rows)


if __name__ == "__main__":
    client_case.main()
