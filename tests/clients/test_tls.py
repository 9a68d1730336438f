#!/usr/bin/python3
"""TLS: the server speaks TLS 1.3 only (openssl s_client -tls1_3 accepted, -tls1_2
refused), serves the certificate of its data directory, supports SCRAM channel binding
(psql channel_binding=require), answers GSSENCRequest with N, and with --require-tls
refuses a login without TLS."""

import struct
import subprocess

import client_case
from harness.wire import ConnectionClosed, WireClient, WireError

GSSENC_REQUEST_CODE = 80877104


def s_client(port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-starttls",
                           "postgres", "-brief", *args], input="", capture_output=True,
                          text=True, timeout=30)


class Tls(client_case.ServerCase):
    def test_tls13_accepted(self):
        result = s_client(self.server.port, "-tls1_3")
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("Protocol version: TLSv1.3", output)

    def test_tls12_refused(self):
        result = s_client(self.server.port, "-tls1_2")
        output = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, output)
        self.assertNotIn("Protocol version: TLSv1.2", output)

    def test_server_is_still_fine_after_refused_handshake(self):
        s_client(self.server.port, "-tls1_2")
        with WireClient(self.server.host, self.server.port) as client:
            self.assertEqual(client.sock.version(), "TLSv1.3")
            client.login("dba", self.server.passwords["dba"], self.server.dbname)
            self.assertEqual(client.query_rows("SELECT 1"), [["1"]])

    def test_certificate_is_the_data_directory_one(self):
        if self.server.tls_cert is None:
            self.fail(f"no certificate found under {self.server.data_dir}/tls")
        result = self.run_client(["psql", "-X", "-A", "-t", "-c", "SELECT 1"],
                                 sslmode="verify-ca", sslrootcert=str(self.server.tls_cert),
                                 check=False)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_channel_binding(self):
        result = self.run_client(["psql", "-X", "-A", "-t", "-c", "SELECT 1"],
                                 channel_binding="require")
        self.assertEqual(result.stdout.strip(), "1")

    def test_channel_binding_with_wrong_password_is_refused(self):
        result = self.run_client(["psql", "-X", "-c", "SELECT 1"], password="wrong-password-cb",
                                 channel_binding="require", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("password authentication failed", result.stderr)

    def test_gssenc_request_answered_n(self):
        with WireClient(self.server.host, self.server.port, tls=False) as client:
            client.send(struct.pack("!II", 8, GSSENC_REQUEST_CODE))
            # PostgreSQL built with GSSAPI says G; dbvault has no GSSAPI and must say N
            self.assertIn(client.sock.recv(1), [b"N"] if self.kind == "dbvault" else [b"N", b"G"])

    def test_plaintext_allowed_without_require_tls(self):
        result = self.run_client(["psql", "-X", "-A", "-t", "-c", "SELECT 2"], sslmode="disable")
        self.assertEqual(result.stdout.strip(), "2")


class RequireTls(client_case.ServerCase):
    SERVER_OPTIONS = {"dbvault": {"serve_args": ["--require-tls"]},
                      "postgresql": {"require_tls": True}}

    def test_plaintext_login_refused(self):
        with WireClient(self.server.host, self.server.port, tls=False) as client:
            with self.assertRaises((WireError, ConnectionClosed)):
                client.login("dba", self.server.passwords["dba"], self.server.dbname)
        result = self.run_client(["psql", "-X", "-c", "SELECT 1"], sslmode="disable",
                                 check=False)
        self.assertNotEqual(result.returncode, 0)

    def test_tls_login_accepted(self):
        result = self.run_client(["psql", "-X", "-A", "-t", "-c", "SELECT 3"])
        self.assertEqual(result.stdout.strip(), "3")


if __name__ == "__main__":
    client_case.main()
