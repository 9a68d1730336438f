#!/usr/bin/python3
"""Bad input over the wire: random bytes, truncated messages, a 1 GiB length prefix, an
unknown message type, and 500 concurrent connections opened and closed. Each attack may
cost the attacker its connection (08P01, or closed), never the server: a session opened
before the attacks answers after each of them, and the server exits 0 at the end."""

import random
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2

import client_case
from harness.wire import ConnectionClosed, WireClient, message, startup_packet

ONE_GIB = 1 << 30
ANSWER_TIMEOUT_S = 10.0
CONNECTIONS = 500


class BadInput(client_case.ServerCase):
    SERVER_OPTIONS = {"dbvault": {"serve_args": ["--max-connections", "1000"]}}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.observer = psycopg2.connect(**cls.server.conninfo("dba"))
        cls.observer.autocommit = True

    @classmethod
    def tearDownClass(cls) -> None:
        cls.observer.close()
        super().tearDownClass()

    def setUp(self) -> None:
        self.addCleanup(self.assert_server_answers)

    def assert_server_answers(self) -> None:
        self.assertTrue(self.server.alive(), "the server died")
        with self.observer.cursor() as cursor:
            cursor.execute("SELECT 7")
            self.assertEqual(cursor.fetchone(), (7,))
        with WireClient(self.server.host, self.server.port) as client:
            client.login("dba", self.server.passwords["dba"], self.server.dbname)
            self.assertEqual(client.query_rows("SELECT 8"), [["8"]])

    def logged_in(self) -> WireClient:
        """A session past authentication, in plaintext so that our bytes reach the decoder
        exactly as written."""
        client = WireClient(self.server.host, self.server.port, tls=False,
                            timeout=ANSWER_TIMEOUT_S)
        self.addCleanup(client.close)
        client.login("dba", self.server.passwords["dba"], self.server.dbname)
        return client

    def raw(self) -> socket.socket:
        sock = socket.create_connection((self.server.host, self.server.port),
                                        timeout=ANSWER_TIMEOUT_S)
        self.addCleanup(sock.close)
        return sock

    def assert_refused(self, client: WireClient) -> None:
        """The next thing the server does is 08P01 or closing the connection, in time."""
        try:
            kind, payload = client.read_message()
            while kind in "NS":  # notices and parameter updates may come first
                kind, payload = client.read_message()
        except ConnectionClosed as closed:
            self.assertFalse(closed.timed_out, "the server neither answered nor closed")
            return
        self.assertEqual(kind, "E", f"expected an ErrorResponse, got {kind!r}")
        self.assertIn(b"C08P01\0", payload)

    def assert_ends(self, client: WireClient) -> None:
        """Whatever the server made of our bytes, once we stop sending it closes in time."""
        client.sock.shutdown(socket.SHUT_WR)
        with self.assertRaises(ConnectionClosed) as caught:
            while True:
                client.read_message()
        self.assertFalse(caught.exception.timed_out, "the server kept the connection open")

    def assert_closed(self, sock: socket.socket) -> None:
        """After our end is shut, the server closes its end in time (it may answer first)."""
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if not sock.recv(65536):
                    return
            except ConnectionResetError:
                return
            except TimeoutError:
                break
        self.fail("the server kept a half-closed connection open")

    # --- random bytes ------------------------------------------------------------------
    def test_random_bytes_before_startup(self):
        for seed in range(16):
            with self.subTest(seed=seed):
                rng = random.Random(seed)
                sock = self.raw()
                sock.sendall(rng.randbytes(rng.choice([1, 3, 7, 64, 1000, 65536])))
                self.assert_closed(sock)

    def test_random_bytes_after_login(self):
        for seed in range(8):
            with self.subTest(seed=seed):
                client = self.logged_in()
                client.send(random.Random(seed).randbytes(4096))
                self.assert_ends(client)

    def test_unknown_message_type(self):
        client = self.logged_in()
        client.send(message(b"\x00", random.Random(1).randbytes(32)))
        self.assert_refused(client)

    # --- truncated messages -------------------------------------------------------------
    def test_truncated_startup_then_close(self):
        packet = startup_packet({"user": "dba", "database": "dbvault"})
        for cut in (1, 4, 6, len(packet) - 1):
            with self.subTest(cut=cut):
                sock = self.raw()
                sock.sendall(packet[:cut])
                self.assert_closed(sock)

    def test_truncated_startup_held_open_does_not_block_others(self):
        sock = self.raw()
        sock.sendall(startup_packet({"user": "dba", "database": "dbvault"})[:9])
        self.assert_server_answers()  # while that one is still pending

    def test_truncated_query(self):
        client = self.logged_in()
        client.send(b"Q" + struct.pack("!I", 100) + b"SELECT")
        self.assert_ends(client)

    def test_length_below_minimum(self):
        client = self.logged_in()
        client.send(b"Q" + struct.pack("!I", 2))
        self.assert_refused(client)

    # --- absurd lengths -----------------------------------------------------------------
    def test_gib_length_prefix_on_startup(self):
        sock = self.raw()
        sock.sendall(struct.pack("!II", ONE_GIB, 196608) + b"user\0dba\0\0")
        started = time.monotonic()
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        self.assertLess(time.monotonic() - started, ANSWER_TIMEOUT_S, "server waited for 1 GiB")
        if data:
            self.assertEqual(data[:1], b"E")

    def test_gib_length_prefix_after_login(self):
        rss_before = self.server_rss_kib()
        client = self.logged_in()
        client.send(b"Q" + struct.pack("!I", ONE_GIB) + b"SELECT 1")
        self.assert_refused(client)
        if rss_before:
            self.assertLess(self.server_rss_kib() - rss_before, 256 * 1024,
                            "the server allocated for the announced length")

    def server_rss_kib(self) -> int:
        if self.kind != "dbvault":
            return 0  # PostgreSQL's backends are other processes
        for line in open(f"/proc/{self.server.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    # --- many connections ---------------------------------------------------------------
    def test_500_concurrent_sessions_opened_and_closed(self):
        def open_one(_):
            connection = psycopg2.connect(**self.server.conninfo("dba"))
            connection.autocommit = True
            return connection

        with ThreadPoolExecutor(max_workers=16) as pool:
            connections = list(pool.map(open_one, range(CONNECTIONS)))
        try:
            self.assertEqual(len(connections), CONNECTIONS)
            for connection in connections[::50]:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    self.assertEqual(cursor.fetchone(), (1,))
        finally:
            for connection in connections:
                connection.close()

    def test_500_connections_dropped_mid_startup(self):
        sockets = []
        packet = startup_packet({"user": "dba", "database": "dbvault"})
        for i in range(CONNECTIONS):
            sock = socket.create_connection((self.server.host, self.server.port), timeout=10)
            sock.sendall(packet[: i % len(packet)])
            sockets.append(sock)
        for sock in sockets:  # an abortive close (RST) for each
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()


if __name__ == "__main__":
    client_case.main()
