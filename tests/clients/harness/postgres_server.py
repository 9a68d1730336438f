"""A PostgreSQL 15 reference server in a temporary directory, shaped like a dbvault server.

Used to validate the test suites themselves (a test that fails against PostgreSQL for a
reason PostgreSQL is right about is a wrong test) and as the baseline of the benchmark. It
listens on 127.0.0.1 with TLS 1.3 only (a self-signed certificate, like dbvault's), SCRAM-SHA-256
for every TCP login, and has login roles dba (superuser), secadmin and auditor plus a database
named like dbvault's default.

When run as root, every PostgreSQL program runs as the `postgres` user (PostgreSQL refuses
to run as root), so the work directory is handed to that user.
"""

import os
import pwd
import socket
import subprocess
from pathlib import Path

from .server import ACCOUNTS, Server, ServerError, ServerUnavailable, generate_password, \
    log_tail

PG_BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))


class PostgresServer(Server):
    kind = "postgresql"

    def __init__(self, workdir: Path, settings: dict[str, str] | None = None,
                 durable: bool = False, require_tls: bool = False,
                 hba_lines: list[str] | None = None):
        """initdb + start in `workdir`. `settings` are extra postgresql.conf lines; with
        durable=False fsync is off (tests), with durable=True PostgreSQL's defaults stay;
        require_tls=True refuses logins without TLS (like dbvault's --require-tls);
        hba_lines come first in pg_hba.conf (e.g. a `cert` method for one user).

        Raises ServerUnavailable without PostgreSQL 15 binaries, ServerError on failure.
        """
        super().__init__(workdir, {a: generate_password(a) for a in ACCOUNTS})
        if not (PG_BINDIR / "postgres").exists():
            raise ServerUnavailable(f"no PostgreSQL 15 in {PG_BINDIR} (set PG_BINDIR)")
        self.data_dir = workdir / "pgdata"
        self._running = False
        self._status: int | None = None
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(workdir, pw.pw_uid, pw.pw_gid)
        self._initdb()
        self._configure(settings or {}, durable, require_tls, hba_lines or [])
        self._start()
        self._create_accounts()

    def _run(self, *args: str, check: bool = True, input_text: str | None = None):
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, input=input_text,
                                timeout=120, cwd=self.workdir)
        if check and result.returncode != 0:
            raise ServerError(f"{' '.join(args[:2])} exited {result.returncode}:\n"
                              f"{result.stdout}{result.stderr}\n{log_tail(self.log_path)}")
        return result

    def _initdb(self) -> None:
        self._run(str(PG_BINDIR / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def _configure(self, settings: dict[str, str], durable: bool, require_tls: bool,
                   hba_lines: list[str]) -> None:
        self._make_certificate()
        self.port = _free_port()
        conf = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.workdir}'",
            "ssl": "on",
            "ssl_cert_file": f"'{self.workdir / 'server.crt'}'",
            "ssl_key_file": f"'{self.workdir / 'server.key'}'",
            "ssl_min_protocol_version": "'TLSv1.3'",
            "password_encryption": "'scram-sha-256'",
            "max_connections": "600",
            "log_min_messages": "info",
        }
        if not durable:
            conf.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        conf.update(settings)
        with open(self.data_dir / "postgresql.conf", "a") as f:
            f.write("\n# dbvault test harness\n")
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        tcp = "hostssl" if require_tls else "host"
        (self.data_dir / "pg_hba.conf").write_text(
            "".join(f"{line}\n" for line in hba_lines)
            + f"local all all trust\n{tcp} all all 127.0.0.1/32 scram-sha-256\n")

    def _make_certificate(self) -> None:
        self.tls_cert = self.workdir / "server.crt"
        key = self.workdir / "server.key"
        self._run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                  str(self.tls_cert), "-days", "2", "-subj", "/CN=localhost")
        self._run("chmod", "600", str(key))

    def _start(self) -> None:
        self._run(str(PG_BINDIR / "pg_ctl"), "-D", str(self.data_dir), "-l",
                  str(self.log_path), "-w", "-t", "60", "start")
        self._running = True

    def _create_accounts(self) -> None:
        sql = [f"CREATE ROLE {a} LOGIN PASSWORD '{pw}'" + (" SUPERUSER" if a == "dba" else "")
               for a, pw in self.passwords.items()]
        sql.append(f"CREATE DATABASE {self.dbname} OWNER dba")
        for statement in sql:
            self._run(str(PG_BINDIR / "psql"), "-X", "-q", "-h", str(self.workdir), "-p",
                      str(self.port), "-U", "postgres", "-d", "postgres", "-v",
                      "ON_ERROR_STOP=1", "-c", statement)
        self._run(str(PG_BINDIR / "psql"), "-X", "-q", "-h", str(self.workdir), "-p",
                  str(self.port), "-U", "postgres", "-d", self.dbname, "-c",
                  "GRANT ALL ON SCHEMA public TO PUBLIC")

    @property
    def pid(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def alive(self) -> bool:
        return self._running and self._run(str(PG_BINDIR / "pg_ctl"), "-D", str(self.data_dir),
                                           "status", check=False).returncode == 0

    def stop(self) -> int:
        if self._running:
            self._running = False
            result = self._run(str(PG_BINDIR / "pg_ctl"), "-D", str(self.data_dir), "-m",
                               "fast", "-w", "-t", "30", "stop", check=False)
            self._status = result.returncode
        return self._status or 0


def _free_port() -> int:
    # PostgreSQL cannot listen on port 0 and report the port, so take one the kernel
    # considers free; the window until postgres binds it is a few milliseconds.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
