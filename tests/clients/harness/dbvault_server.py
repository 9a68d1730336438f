"""A real `dbvault serve` on a free loopback port over a data directory made by `dbvault init`.

Relies only on the server's command-line contract (issue 10 and docs/server.md):
  dbvault init --data-dir D            with DBVAULT_{DBA,SECADMIN,AUDITOR}_PASSWORD set
  dbvault serve --data-dir D --listen 127.0.0.1:0 --port-file F [--test-clock-file C]
The port file is written once the server listens; SIGTERM exits 0.
"""

import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

from .server import ACCOUNTS, Server, ServerError, ServerUnavailable, generate_password, \
    log_tail, terminate

START_TIMEOUT_S = 60.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def dbvault_binary() -> Path:
    """The dbvault executable: $DBVAULT_BIN, else build/server/dbvault of this checkout."""
    configured = os.environ.get("DBVAULT_BIN")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "build" / "server" / "dbvault"


class DbvaultServer(Server):
    kind = "dbvault"

    def __init__(self, workdir: Path, serve_args: list[str] | None = None,
                 init_args: list[str] | None = None, log_level: str = "debug",
                 test_clock: bool = True, config: dict[str, str] | None = None):
        """Runs init and serve in `workdir` (which must exist and be empty). With test_clock
        the server's clock is the real one plus the offset in workdir/clock (the server reads
        that file at every use: benchmarks turn it off). `config` entries are appended to
        dbvault.conf between init and serve (docs/server.md §4).

        Raises ServerUnavailable when the binary has no init/serve command, ServerError when
        either fails or the port file does not appear within START_TIMEOUT_S.
        """
        super().__init__(workdir, {a: generate_password(a) for a in ACCOUNTS})
        self.binary = dbvault_binary()
        self.data_dir = workdir / "data"
        self.clock_path = workdir / "clock"
        self._process: subprocess.Popen | None = None
        self._status: int | None = None
        self.supports_clock = test_clock
        if not self.binary.exists():
            raise ServerUnavailable(f"{self.binary} does not exist (build the dbvault target)")
        self._init(init_args or [])
        if config:
            with open(self.data_dir / "dbvault.conf", "a") as f:
                f.write("\n# test harness\n")
                f.writelines(f"{key} = {value}\n" for key, value in config.items())
        if test_clock:
            self.set_clock_offset(0)
            serve_args = ["--test-clock-file", str(self.clock_path), *(serve_args or [])]
        self._serve(serve_args or [], log_level)
        self.tls_cert = self._find_certificate()

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for account, password in self.passwords.items():
            env[f"DBVAULT_{account.upper()}_PASSWORD"] = password
        if self.supports_clock:
            env["DBVAULT_ALLOW_TEST_CLOCK"] = "1"
        return env

    def _init(self, init_args: list[str]) -> None:
        init_log = self.workdir / "init.log"
        with open(init_log, "wb") as out:
            rc = subprocess.run([str(self.binary), "init", "--data-dir", str(self.data_dir),
                                 *init_args], env=self._env(), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                timeout=120).returncode
        if rc != 0:
            text = log_tail(init_log)
            if "unknown command" in text:
                raise ServerUnavailable(f"{self.binary} has no init command yet: {text.strip()}")
            raise ServerError(f"dbvault init exited {rc}:\n{text}")

    def _serve(self, serve_args: list[str], log_level: str) -> None:
        port_file = self.workdir / "port"
        command = [str(self.binary), "--log-level", log_level, "serve",
                   "--data-dir", str(self.data_dir), "--listen", "127.0.0.1:0",
                   "--port-file", str(port_file), *serve_args]
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(command, env=self._env(), stdout=log,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             preexec_fn=_terminate_with_parent)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                text = log_tail(self.log_path)
                if "unknown command" in text:
                    raise ServerUnavailable(f"{self.binary} has no serve command yet")
                raise ServerError(f"dbvault serve exited {self._process.returncode}:\n{text}")
            port = _read_port(port_file)
            if port:
                self.port = port
                return
            time.sleep(0.02)
        self.stop()
        raise ServerError(f"dbvault serve wrote no port file in {START_TIMEOUT_S:.0f} s:\n"
                          + log_tail(self.log_path))

    def _find_certificate(self) -> Path | None:
        certs = sorted((self.data_dir / "tls").glob("*.crt")) + sorted(
            (self.data_dir / "tls").glob("*cert*.pem"))
        return certs[0] if certs else None

    # --- clock ---------------------------------------------------------------------------
    def clock_offset(self) -> int:
        return int(self.clock_path.read_text().strip() or "0")

    def set_clock_offset(self, seconds: int) -> None:
        # Written to a temporary file and renamed, so the server never reads half a number.
        tmp = self.clock_path.with_suffix(".tmp")
        tmp.write_text(f"{seconds}\n")
        tmp.replace(self.clock_path)

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> int:
        if self._status is None and self._process is not None:
            self._status = terminate(self._process, self.log_path)
        return self._status if self._status is not None else 0


def _terminate_with_parent() -> None:
    """In the child: SIGTERM when the test process dies (e.g. killed by a ctest timeout), so
    that no server outlives its test."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _read_port(path: Path) -> int:
    try:
        text = path.read_text().strip()
    except OSError:
        return 0
    return int(text) if text.isdigit() else 0
