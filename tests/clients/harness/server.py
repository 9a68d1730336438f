"""What every test server offers: where it listens, who may log in, how to stop it.

A Server is started by one of the factories in servers.py (dbvault or PostgreSQL 15) in a
fresh work directory, on a free loopback port, and is stopped by stop() or by leaving its
`with` block. Nothing here is thread-safe except the read-only properties.
"""

import math
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

# The three accounts `dbvault init` creates (issue 10); the PostgreSQL reference server
# creates login roles of the same names so that the same tests run against both.
ACCOUNTS = ("dba", "secadmin", "auditor")

# ctest's SKIP_RETURN_CODE: a test whose server cannot run here reports "skipped".
SKIP_EXIT_CODE = 77


class ServerUnavailable(Exception):
    """The server cannot run on this machine or build (e.g. `dbvault serve` not built yet)."""


class ServerError(Exception):
    """The server failed to start or to stop cleanly; the message carries its log's tail."""


def generate_password(account: str) -> str:
    """A fresh random password, distinctive enough to be grepped for in logs and files."""
    return f"pw-{account}-{secrets.token_urlsafe(15)}"


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


class Server:
    """A running server. Subclasses fill in the process handling; tests use only this API."""

    kind = "abstract"

    def __init__(self, workdir: Path, passwords: dict[str, str]):
        self.workdir = workdir
        self.passwords = passwords  # account -> login password (also secrets to grep for)
        self.host = "127.0.0.1"
        self.port = 0
        self.dbname = "dbvault"
        self.log_path = workdir / "server.log"
        self.data_dir = workdir  # subclasses: the data directory inside workdir
        self.tls_cert: Path | None = None  # the server's certificate (PEM), for openssl tests

    # --- connecting -------------------------------------------------------------------
    def conninfo(self, user: str, password: str | None = None, **params: str) -> dict[str, str]:
        """libpq keywords for `user` (password from the accounts when not given).

        Defaults: sslmode=require (both servers speak TLS 1.3) and connect_timeout=10;
        any keyword in params overrides them.
        """
        info = {
            "host": self.host,
            "port": str(self.port),
            "dbname": self.dbname,
            "user": user,
            "sslmode": "require",
            "connect_timeout": "10",
        }
        pw = password if password is not None else self.passwords.get(user)
        if pw is not None:
            info["password"] = pw
        info.update(params)
        return info

    def dsn(self, user: str, password: str | None = None, **params: str) -> str:
        """conninfo() as a libpq connection string."""
        return " ".join(f"{k}={_quote(v)}" for k, v in self.conninfo(user, password, **params).items())

    def libpq_env(self, user: str, password: str | None = None, **params: str) -> dict[str, str]:
        """os.environ plus PGHOST, PGPORT, ... for psql and pgbench as `user`."""
        names = {"host": "PGHOST", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
                 "password": "PGPASSWORD", "sslmode": "PGSSLMODE",
                 "connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME",
                 "channel_binding": "PGCHANNELBINDING", "sslrootcert": "PGSSLROOTCERT",
                 "options": "PGOPTIONS", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        for key, value in self.conninfo(user, password, **params).items():
            env[names[key]] = value
        return env

    # --- the test clock -----------------------------------------------------------------
    supports_clock = False

    def clock_offset(self) -> int:
        raise ServerUnavailable(f"{self.kind} has no test clock")

    def set_clock_offset(self, seconds: int) -> None:
        raise ServerUnavailable(f"{self.kind} has no test clock")

    def advance_clock(self, seconds: int) -> None:
        """Moves the server's clock forward by `seconds` (no sleeping)."""
        self.set_clock_offset(self.clock_offset() + seconds)

    def set_clock(self, epoch_seconds: float) -> None:
        """Sets the server's clock so that "now" is `epoch_seconds` or at most a second later
        (then it runs on): never earlier, so that a test set to 09:00 sees 09:00."""
        self.set_clock_offset(math.ceil(epoch_seconds - time.time()))

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def pid(self) -> int:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def stop(self) -> int:
        """Stops the server (SIGTERM, then SIGKILL after 20 s) and returns its exit status.

        Raises ServerError if it had to be killed. Calling stop() twice returns the first
        status.
        """
        raise NotImplementedError

    def files_to_scan(self) -> list[Path]:
        """Every file a secret must never reach: logs and the whole data directory."""
        return sorted(p for p in self.workdir.rglob("*") if p.is_file() and not p.is_symlink())

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def terminate(process: subprocess.Popen, log_path: Path, timeout: float = 20.0) -> int:
    """SIGTERM `process`, wait up to `timeout`; kill it and raise ServerError if it hangs."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise ServerError(f"server ignored SIGTERM for {timeout:.0f} s and was killed\n"
                          + log_tail(log_path))


def _quote(value: str) -> str:
    if value and all(c.isalnum() or c in "-_./:@" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
