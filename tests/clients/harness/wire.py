"""A deliberately small PostgreSQL v3 wire client, for what real clients cannot do.

Real clients hide the protocol; the tests need it bare: the SQLSTATE of a refused login
(libpq reports connection failures as text only), and bytes no client would send (random
data, truncated messages, absurd length prefixes). This client frames messages, negotiates
TLS, logs in with SCRAM-SHA-256 (no channel binding) and runs simple queries. Not
thread-safe; one instance per connection.
"""

import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct

PROTOCOL_V3 = 196608
SSL_REQUEST_CODE = 80877103
CANCEL_REQUEST_CODE = 80877102


class WireError(Exception):
    """An ErrorResponse from the server; `fields` maps field codes (S, C, M, ...) to text."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(f"{fields.get('C', '?????')}: {fields.get('M', '')}")
        self.fields = fields

    @property
    def sqlstate(self) -> str:
        return self.fields.get("C", "")

    @property
    def message(self) -> str:
        return self.fields.get("M", "")


class ConnectionClosed(Exception):
    """The server closed the connection (or the read timed out: see `timed_out`)."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


def message(kind: bytes, payload: bytes = b"") -> bytes:
    """One frontend message: a type byte, then the length (including itself), then payload."""
    return kind + struct.pack("!I", len(payload) + 4) + payload


def startup_packet(params: dict[str, str]) -> bytes:
    body = struct.pack("!I", PROTOCOL_V3)
    body += b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params.items()) + b"\0"
    return struct.pack("!I", len(body) + 4) + body


def parse_error_fields(payload: bytes) -> dict[str, str]:
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields


class WireClient:
    def __init__(self, host: str, port: int, tls: bool = True, timeout: float = 10.0):
        """Connects; with tls=True sends SSLRequest and requires the server to accept."""
        self.sock: socket.socket = socket.create_connection((host, port), timeout=timeout)
        self.address = (host, port)
        self._buffer = b""
        self.parameters: dict[str, str] = {}  # ParameterStatus values seen at login
        self.backend_key: tuple[int, int] | None = None  # BackendKeyData (pid, secret)
        if tls:
            self.sock.sendall(struct.pack("!II", 8, SSL_REQUEST_CODE))
            answer = self._read_exact(1)
            if answer != b"S":
                raise ConnectionClosed(f"server answered {answer!r} to SSLRequest")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self.sock = context.wrap_socket(self.sock)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "WireClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- bytes ---------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_exact(self, n: int) -> bytes:
        while len(self._buffer) < n:
            try:
                chunk = self.sock.recv(65536)
            except (TimeoutError, socket.timeout):
                raise ConnectionClosed("no answer before the timeout", timed_out=True) from None
            except (ConnectionResetError, ssl.SSLError) as e:
                raise ConnectionClosed(f"connection reset: {e}") from None
            if not chunk:
                raise ConnectionClosed("server closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def read_message(self) -> tuple[str, bytes]:
        """The next backend message as (type letter, payload)."""
        header = self._read_exact(5)
        length = struct.unpack("!I", header[1:])[0]
        return chr(header[0]), self._read_exact(length - 4)

    def read_until(self, kinds: str, raise_errors: bool = True) -> list[tuple[str, bytes]]:
        """Messages up to and including the first whose type is in `kinds`. An ErrorResponse
        before that raises WireError when raise_errors, else is returned with the rest."""
        out = []
        while True:
            kind, payload = self.read_message()
            out.append((kind, payload))
            if kind in kinds:
                return out
            if kind == "E" and raise_errors:
                raise WireError(parse_error_fields(payload))

    # --- protocol ------------------------------------------------------------------------
    def login(self, user: str, password: str, database: str = "dbvault", **params: str) -> None:
        """Startup + SCRAM-SHA-256 up to ReadyForQuery. Raises WireError when refused."""
        self.send(startup_packet({"user": user, "database": database, **params}))
        kind, payload = self.read_message()
        if kind == "E":
            raise WireError(parse_error_fields(payload))
        code = struct.unpack("!I", payload[:4])[0] if kind == "R" else -1
        if code == 10:
            mechanisms = payload[4:].split(b"\0")
            if b"SCRAM-SHA-256" not in mechanisms:
                raise ConnectionClosed(f"no SCRAM-SHA-256 among {mechanisms!r}")
            _Scram(self, password).run()
        elif code != 0:
            raise ConnectionClosed(f"unexpected authentication request {kind} {code}")
        for kind, payload in self.read_until("Z"):
            if kind == "S":
                name, value, _ = payload.split(b"\0", 2)
                self.parameters[name.decode()] = value.decode()
            elif kind == "K":
                self.backend_key = struct.unpack("!II", payload)

    def cancel(self) -> None:
        """Sends a CancelRequest for this session on a new plaintext connection."""
        assert self.backend_key is not None, "no BackendKeyData at login"
        with socket.create_connection(self.address, timeout=10) as sock:
            sock.sendall(struct.pack("!IIII", 16, CANCEL_REQUEST_CODE, *self.backend_key))
            sock.recv(1)  # the server closes the connection without an answer

    def query(self, sql: str) -> list[tuple[str, bytes]]:
        """Runs a simple query; returns its messages up to ReadyForQuery (errors included)."""
        self.send(message(b"Q", sql.encode() + b"\0"))
        return self.read_until("Z", raise_errors=False)

    def query_rows(self, sql: str) -> list[list[str | None]]:
        """The text values of a simple query's rows; raises WireError on an ErrorResponse."""
        rows = []
        for kind, payload in self.query(sql):
            if kind == "E":
                raise WireError(parse_error_fields(payload))
            if kind == "D":
                rows.append(_data_row(payload))
        return rows

    def terminate(self) -> None:
        self.send(message(b"X"))


def data_row(payload: bytes) -> list[bytes | None]:
    """A DataRow's values as raw bytes (text or binary, as the portal's formats say)."""
    count = struct.unpack("!H", payload[:2])[0]
    values, pos = [], 2
    for _ in range(count):
        length = struct.unpack("!i", payload[pos:pos + 4])[0]
        pos += 4
        values.append(None if length < 0 else payload[pos:pos + length])
        pos += max(length, 0)
    return values


def _data_row(payload: bytes) -> list[str | None]:
    return [None if v is None else v.decode() for v in data_row(payload)]


class _Scram:
    """The client side of SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL uses it."""

    def __init__(self, client: WireClient, password: str):
        self.client = client
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()

    def _auth(self, expected_code: int) -> bytes:
        kind, payload = self.client.read_message()
        if kind == "E":
            raise WireError(parse_error_fields(payload))
        code = struct.unpack("!I", payload[:4])[0]
        if kind != "R" or code != expected_code:
            raise ConnectionClosed(f"expected authentication message {expected_code}, got {code}")
        return payload[4:]

    def run(self) -> None:
        first_bare = f"n=,r={self.nonce}"
        data = ("n,," + first_bare).encode()
        self.client.send(message(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(data)) + data))
        server_first = self._auth(11).decode()
        attrs = dict(item.split("=", 1) for item in server_first.split(","))
        if not attrs["r"].startswith(self.nonce):
            raise ConnectionClosed("server nonce does not extend the client nonce")
        salted = hashlib.pbkdf2_hmac("sha256", self.password, base64.b64decode(attrs["s"]),
                                     int(attrs["i"]))
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        without_proof = f"c=biws,r={attrs['r']}"
        auth_message = f"{first_bare},{server_first},{without_proof}".encode()
        signature = hmac.digest(hashlib.sha256(client_key).digest(), auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = f"{without_proof},p={base64.b64encode(proof).decode()}"
        self.client.send(message(b"p", final.encode()))
        server_final = self._auth(12).decode()
        server_key = hmac.digest(salted, b"Server Key", "sha256")
        expected = base64.b64encode(hmac.digest(server_key, auth_message, "sha256")).decode()
        if server_final != f"v={expected}":
            raise ConnectionClosed("server signature does not verify")
