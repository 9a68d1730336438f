"""Running a parsed .test file against one server over the wire, as named users.

Statements go through psycopg2 (simple query protocol, autocommit); a `connect` that must
fail goes through harness.wire, which sees the SQLSTATE of a refused login. Every secret the
file handles (login passwords, vault passwords, tokens: see secrets.py) is remembered so
that the caller can grep the server's files for them afterwards.
"""

import os
import re
import sys
import threading

import psycopg2

from harness import Server, SecretSet
from harness.wire import ConnectionClosed, WireClient, WireError

from . import engines, secrets
from .script import Advance, ClockAt, Connect, Disconnect, Expectation, Let, Query, Record, \
    Script, Statement, Use
from .values import format_rows, format_value, normalize_expected, type_mismatch

_VARIABLE = re.compile(r"\$\{(\w+)\}")
# After this long the runner cancels the statement (CancelRequest) and fails the record.
STATEMENT_TIMEOUT_S = float(os.environ.get("DBVAULT_TEST_STATEMENT_TIMEOUT", "60"))
MAX_FAILURES = 25  # then the rest of the file is skipped: later failures are echoes


class RecordFailure(Exception):
    """One record did not do what the file expects; the lines explain expected vs got."""


class Runner:
    def __init__(self, server: Server, script: Script, out=None):
        self.server = server
        self.engine = engines.adapter_for(server)
        self.script = script
        self.out = out or sys.stdout
        self.variables = {f"{a}_password": pw for a, pw in server.passwords.items()}
        self.variables["data_dir"] = str(server.data_dir)
        self.connections: dict[str, psycopg2.extensions.connection] = {}
        self.current: str | None = None
        self.secrets = SecretSet()
        for account, password in server.passwords.items():
            self.secrets.add(password, f"login password of {account}")
        self.user_passwords = dict(server.passwords)  # user -> password, grows with CREATE USER
        self.passed = self.failed = self.skipped = 0

    # --- driving -------------------------------------------------------------------------
    def run(self) -> None:
        for record in self.script.records:
            if self.failed >= MAX_FAILURES:
                print(f"STOPPED {self.script.path}: {MAX_FAILURES} failures", file=self.out)
                break
            if not self._applies(record):
                self.skipped += 1
                continue
            try:
                self._execute(record)
                self.passed += 1
            except RecordFailure as failure:
                self.failed += 1
                print(f"FAILED {record.source}:{record.line}: {failure}", file=self.out)
        self.close_connections()

    def _applies(self, record: Record) -> bool:
        kind = self.server.kind
        return ((not record.onlyif or any(engines.matches(kind, n) for n in record.onlyif))
                and not any(engines.matches(kind, n) for n in record.skipif))

    def _execute(self, record: Record) -> None:
        handlers = {Statement: self._statement, Query: self._query, Connect: self._connect,
                    Use: self._use, Disconnect: self._disconnect, Let: self._let,
                    Advance: self._advance, ClockAt: self._clock}
        handlers[type(record)](record)

    def close_connections(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()

    # --- helpers -------------------------------------------------------------------------
    def substitute(self, text: str) -> str:
        def value(match: re.Match) -> str:
            name = match.group(1)
            if name not in self.variables:
                raise RecordFailure(f"unknown variable ${{{name}}} (set it with `let`)")
            return self.variables[name]
        return _VARIABLE.sub(value, text)

    def _connection(self):
        if self.current is None:
            raise RecordFailure("no connection: start the file with `connect NAME user=...`")
        connection = self.connections[self.current]
        if connection.closed:
            raise RecordFailure(f"connection {self.current} was closed by the server")
        return connection

    def _where(self, sql: str) -> str:
        connection = self.connections.get(self.current or "")
        who = f"{self.current} (user {connection.info.user})" if connection else "none"
        return f"\n  connection: {who}\n  SQL: {_indent(sql)}"

    def _run_sql(self, sql: str):
        """Executes on the current connection; returns (cursor, None) or (None, error)."""
        secrets.collect_from_sql(sql, self.secrets)
        connection = self._connection()
        # Set before the cancel goes out: Timer.finished is set only after connection.cancel()
        # returns, which can be after the server's 57014 has already reached this thread.
        fired = threading.Event()

        def cancel() -> None:
            fired.set()
            connection.cancel()

        watchdog = threading.Timer(STATEMENT_TIMEOUT_S, cancel)
        watchdog.start()
        try:
            cursor = self.engine.execute(connection, sql)
        except RuntimeError as error:  # the pgext adapter could not map the statement
            raise RecordFailure(f"{self.server.kind}: {error}" + self._where(sql)) from None
        except psycopg2.Error as error:
            if self._connection_lost():
                raise RecordFailure(f"the server closed the connection: {error}"
                                    + self._where(sql)) from None
            if fired.is_set():
                raise RecordFailure(f"no answer within {STATEMENT_TIMEOUT_S:.0f} s; the runner "
                                    f"cancelled the statement" + self._where(sql)) from None
            return None, error
        finally:
            watchdog.cancel()
        secrets.collect_from_result(cursor, self.secrets)
        secrets.remember_user_password(sql, self.user_passwords, self.secrets)
        return cursor, None

    def _connection_lost(self) -> bool:
        connection = self.connections.get(self.current or "")
        return connection is None or bool(connection.closed)

    # --- records -------------------------------------------------------------------------
    def _statement(self, record: Statement) -> None:
        sql = self.substitute(record.sql)
        cursor, error = self._run_sql(sql)
        self._check_outcome(record.expect, cursor, error, sql)

    def _check_outcome(self, expect: Expectation, cursor, error, sql: str) -> None:
        if error is not None:
            got = f"error {error.pgcode}: {_message(error)}"
            if expect.ok:
                raise RecordFailure(f"expected success, got {got}" + self._where(sql))
            self._check_error(expect, error.pgcode or "", _message(error), sql)
            return
        if not expect.ok:
            raise RecordFailure(f"expected {_describe(expect)}, got success" + self._where(sql))
        if expect.count is not None and cursor.rowcount != expect.count:
            raise RecordFailure(f"expected {expect.count} rows affected, got {cursor.rowcount}"
                                + self._where(sql))

    def _check_error(self, expect: Expectation, sqlstate: str, message: str, sql: str) -> None:
        wanted = self.substitute(expect.message) if expect.message else None
        if (expect.sqlstate and sqlstate != expect.sqlstate) or (wanted and wanted not in message):
            raise RecordFailure(f"expected {_describe(expect, wanted)},\n  got error {sqlstate}: "
                                f"{message}" + self._where(sql))

    def _query(self, record: Query) -> None:
        sql = self.substitute(record.sql)
        cursor, error = self._run_sql(sql)
        if error is not None:
            raise RecordFailure(f"query failed: {error.pgcode}: {_message(error)}"
                                + self._where(sql))
        if cursor.description is None:
            raise RecordFailure("query returned no result set (use `statement ok`)"
                                + self._where(sql))
        rows = cursor.fetchall()
        if len(cursor.description) != len(record.types):
            raise RecordFailure(f"expected {len(record.types)} columns ({record.types}), got "
                                f"{len(cursor.description)}: "
                                f"{', '.join(c.name for c in cursor.description)}"
                                + self._where(sql))
        for row in rows:
            for letter, value, column in zip(record.types, row, cursor.description):
                problem = type_mismatch(letter, value)
                if problem:
                    raise RecordFailure(f"column {column.name}: {problem}" + self._where(sql))
        got = format_rows(rows, record.sort)
        expected = normalize_expected([self.substitute(e) for e in record.expected], record.sort)
        if got != expected:
            raise RecordFailure("wrong result" + self._where(sql) + "\n  expected:\n"
                                + _lines(expected) + "\n  got:\n" + _lines(got))

    def _connect(self, record: Connect) -> None:
        params = {k: self.substitute(v) for k, v in record.params.items()}
        user = params.pop("user")
        password = params.pop("password", self.user_passwords.get(user))
        self.secrets.add(password, f"login password given for {user}")
        if record.name in self.connections:
            self.connections.pop(record.name).close()
        if not record.expect.ok:
            self._connect_refused(record.expect, user, password, params)
            return
        try:
            connection = psycopg2.connect(**self.server.conninfo(user, password, **params))
        except psycopg2.Error as error:
            raise RecordFailure(f"connect as {user} failed: {str(error).strip()}") from None
        connection.autocommit = True
        self.connections[record.name] = connection
        self.current = record.name

    def _connect_refused(self, expect: Expectation, user: str, password: str | None,
                         params: dict[str, str]) -> None:
        tls = params.pop("sslmode", "require") != "disable"
        try:
            with WireClient(self.server.host, self.server.port, tls=tls) as client:
                client.login(user, password or "", self.server.dbname, **params)
        except WireError as error:
            self._check_error(expect, error.sqlstate, error.message, f"(login as {user})")
            return
        except ConnectionClosed as error:
            raise RecordFailure(f"expected {_describe(expect)} at login, got: {error}") from None
        raise RecordFailure(f"expected {_describe(expect)} at login as {user}, got a session")

    def _use(self, record: Use) -> None:
        if record.name not in self.connections:
            raise RecordFailure(f"no connection named {record.name}")
        self.current = record.name

    def _disconnect(self, record: Disconnect) -> None:
        if record.name not in self.connections:
            raise RecordFailure(f"no connection named {record.name}")
        self.connections.pop(record.name).close()
        if self.current == record.name:
            self.current = None

    def _let(self, record: Let) -> None:
        sql = self.substitute(record.sql)
        cursor, error = self._run_sql(sql)
        what = "let " + ", ".join(record.names)
        if error is not None:
            raise RecordFailure(f"{what}: {error.pgcode}: {_message(error)}" + self._where(sql))
        rows = cursor.fetchall() if cursor.description else []
        names = [c.name for c in cursor.description or []]
        columns = record.columns or (names if len(names) == len(record.names) else [])
        missing = [c for c in columns if c not in names]
        if not rows or not columns or missing:
            raise RecordFailure(f"{what}: needs a row with columns "
                                f"{', '.join(columns) or len(record.names)}; got {len(rows)} "
                                f"rows, columns {', '.join(names)}" + self._where(sql))
        for name, column in zip(record.names, columns):
            value = rows[0][names.index(column)]
            self.variables[name] = value if isinstance(value, str) else format_value(value)

    def _advance(self, record: Advance) -> None:
        self._require_clock()
        self.server.advance_clock(record.seconds)

    def _clock(self, record: ClockAt) -> None:
        self._require_clock()
        self.server.set_clock(record.epoch)

    def _require_clock(self) -> None:
        if not self.server.supports_clock:
            raise RecordFailure(f"{self.server.kind} has no test clock (add `require clock`)")


def _message(error: psycopg2.Error) -> str:
    primary = error.diag.message_primary if error.diag else None
    return primary or str(error).strip()


def _describe(expect: Expectation, message: str | None = None) -> str:
    text = f"error {expect.sqlstate or '(any SQLSTATE)'}"
    message = message or expect.message
    return text + (f" containing {message!r}" if message else "")


def _indent(text: str) -> str:
    return text.replace("\n", "\n       ")


def _lines(lines: list[str]) -> str:
    return "\n".join("    " + line.replace("\t", "  |  ") for line in lines) or "    (no rows)"
