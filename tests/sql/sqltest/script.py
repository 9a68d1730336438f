"""Parsing a .test file into records (the format is documented in docs/testing.md).

A file is a sequence of records separated by blank lines. Lines starting with `#` are
comments. A record may be preceded by `onlyif <server>` / `skipif <server>` lines. This module
only parses: it knows nothing about servers or connections.
"""

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

SORT_MODES = ("nosort", "rowsort", "valuesort")
MAX_INCLUDE_DEPTH = 8
COLUMN_TYPES = set("ITRB?")


class ScriptError(Exception):
    """A malformed .test file; the message starts with file:line."""


@dataclass
class Expectation:
    """What a statement or a connect must produce: success, a row count, or an error."""
    ok: bool = True
    sqlstate: str | None = None  # for an error: the exact SQLSTATE, or None for any
    message: str | None = None  # for an error: a substring of the message
    count: int | None = None  # for `statement count N`: the affected row count


@dataclass
class Record:
    line: int
    source: str = ""  # the file the record is in (an included file's own path)
    onlyif: list[str] = field(default_factory=list)
    skipif: list[str] = field(default_factory=list)


@dataclass
class Statement(Record):
    sql: str = ""
    expect: Expectation = field(default_factory=Expectation)


@dataclass
class Query(Record):
    sql: str = ""
    types: str = ""
    sort: str = "nosort"
    expected: list[str] = field(default_factory=list)  # result lines, values separated by tabs


@dataclass
class Connect(Record):
    name: str = ""
    params: dict[str, str] = field(default_factory=dict)  # libpq keywords; user= is required
    expect: Expectation = field(default_factory=Expectation)


@dataclass
class Use(Record):
    name: str = ""


@dataclass
class Disconnect(Record):
    name: str = ""


@dataclass
class Let(Record):
    names: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # empty: the result's columns in order
    sql: str = ""


@dataclass
class Advance(Record):
    seconds: int = 0


@dataclass
class ClockAt(Record):
    epoch: float = 0.0


@dataclass
class Script:
    path: str
    requires: list[str]
    records: list[Record]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> int:
    """'2h', '90m', '1h 30m', '45s', '1d' -> seconds. Raises ValueError otherwise."""
    parts = re.findall(r"(\d+)\s*([smhdw])", text)
    if not parts or re.sub(r"(\d+)\s*([smhdw])|\s", "", text):
        raise ValueError(f"invalid duration {text!r} (write e.g. 2h, 90m, 1h 30m, 45s, 1d)")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def parse_error_expectation(words: str) -> Expectation:
    """'42501 realm x is locked' / '42501' / '' -> an error Expectation."""
    m = re.match(r"\s*([0-9A-Z]{5})(?:\s+(.*))?$", words)
    if m:
        return Expectation(ok=False, sqlstate=m.group(1), message=(m.group(2) or None))
    return Expectation(ok=False, message=words.strip() or None)


class _Reader:
    def __init__(self, path: str, text: str):
        self.path = path
        self.lines = text.splitlines()
        self.i = 0

    def fail(self, line: int, message: str) -> ScriptError:
        return ScriptError(f"{self.path}:{line}: {message}")

    def block(self, stop_at_dashes: bool = False) -> tuple[list[str], bool]:
        """Lines up to a blank line (or a `----` line); returns them and whether `----` ended it."""
        out = []
        while self.i < len(self.lines) and self.lines[self.i].strip():
            line = self.lines[self.i]
            self.i += 1
            if stop_at_dashes and line.strip() == "----":
                return out, True
            out.append(line)
        return out, False


def parse_script(path: str, text: str, depth: int = 0) -> Script:
    """Parses `text` (the contents of `path`); `include FILE` lines are replaced by the
    records of FILE, a path relative to the including file. Raises ScriptError."""
    reader = _Reader(path, text)
    records: list[Record] = []
    requires: list[str] = []
    onlyif: list[str] = []
    skipif: list[str] = []
    while reader.i < len(reader.lines):
        raw = reader.lines[reader.i]
        lineno = reader.i + 1
        reader.i += 1
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "require":
            requires.append(rest)
            continue
        if word in ("onlyif", "skipif"):
            (onlyif if word == "onlyif" else skipif).append(rest)
            continue
        if word == "include":
            included = _include(reader, lineno, rest, depth)
            requires += included.requires
            records += included.records
            continue
        record = _parse_record(reader, lineno, word, rest)
        record.source = path
        record.onlyif, record.skipif = onlyif, skipif
        onlyif, skipif = [], []
        records.append(record)
    return Script(path, requires, records)


def _include(reader: _Reader, lineno: int, name: str, depth: int) -> Script:
    if depth >= MAX_INCLUDE_DEPTH:
        raise reader.fail(lineno, f"include nested more than {MAX_INCLUDE_DEPTH} deep")
    target = Path(reader.path).parent / name
    try:
        text = target.read_text()
    except OSError as e:
        raise reader.fail(lineno, f"cannot include {name}: {e.strerror}") from None
    return parse_script(str(target), text, depth + 1)


def _parse_record(reader: _Reader, lineno: int, word: str, rest: str) -> Record:
    if word == "statement":
        return _parse_statement(reader, lineno, rest)
    if word == "query":
        return _parse_query(reader, lineno, rest)
    if word == "connect":
        return _parse_connect(reader, lineno, rest)
    if word in ("use", "disconnect"):
        if not re.fullmatch(r"\w+", rest):
            raise reader.fail(lineno, f"{word} needs a connection name")
        return Use(lineno, name=rest) if word == "use" else Disconnect(lineno, name=rest)
    if word == "let":
        return _parse_let(reader, lineno, rest)
    if word == "advance":
        try:
            return Advance(lineno, seconds=parse_duration(rest))
        except ValueError as e:
            raise reader.fail(lineno, str(e)) from None
    if word == "clock":
        return _parse_clock(reader, lineno, rest)
    raise reader.fail(lineno, f"unknown record type {word!r}")


def _sql_block(reader: _Reader, lineno: int, what: str, stop_at_dashes: bool = False):
    lines, dashes = reader.block(stop_at_dashes)
    if not lines:
        raise reader.fail(lineno, f"{what} needs SQL on the following lines")
    return "\n".join(lines), dashes


def _parse_statement(reader: _Reader, lineno: int, rest: str) -> Statement:
    kind, _, words = rest.partition(" ")
    if kind == "ok" and not words:
        expect = Expectation()
    elif kind == "error":
        expect = parse_error_expectation(words)
    elif kind == "count" and words.strip().isdigit():
        expect = Expectation(count=int(words))
    else:
        raise reader.fail(lineno, "expected `statement ok`, `statement error [SQLSTATE] "
                                  "[message]` or `statement count N`")
    sql, _ = _sql_block(reader, lineno, "statement")
    return Statement(lineno, sql=sql, expect=expect)


def _parse_query(reader: _Reader, lineno: int, rest: str) -> Query:
    words = rest.split()
    if not words or not set(words[0]) <= COLUMN_TYPES:
        raise reader.fail(lineno, "query needs column types (I integer, T text, R real, "
                                  "B boolean, ? any), e.g. `query IT rowsort`")
    sort = words[1] if len(words) > 1 else "nosort"
    if sort not in SORT_MODES or len(words) > 2:
        raise reader.fail(lineno, f"query: expected one of {', '.join(SORT_MODES)} after the types")
    sql, dashes = _sql_block(reader, lineno, "query", stop_at_dashes=True)
    expected = reader.block()[0] if dashes else []
    return Query(lineno, sql=sql, types=words[0], sort=sort, expected=expected)


def _parse_connect(reader: _Reader, lineno: int, rest: str) -> Connect:
    parts = re.split(r"\s+error\b", rest, maxsplit=1)
    try:
        words = shlex.split(parts[0])
    except ValueError as e:
        raise reader.fail(lineno, f"connect: {e}") from None
    if not words or "=" in words[0]:
        raise reader.fail(lineno, "connect needs a connection name: connect NAME user=U ...")
    params = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    if len(params) != len(words) - 1 or "user" not in params:
        raise reader.fail(lineno, "connect NAME user=U [key=value ...] [error [SQLSTATE] [message]]")
    expect = parse_error_expectation(parts[1]) if len(parts) > 1 else Expectation()
    return Connect(lineno, name=words[0], params=params, expect=expect)


def _parse_let(reader: _Reader, lineno: int, rest: str) -> Let:
    m = re.fullmatch(r"(\w+(?:\s*,\s*\w+)*)(?:\s+from\s+(\w+(?:\s*,\s*\w+)*))?"
                     r"(?:\s*=\s*(.+))?", rest)
    if not m:
        raise reader.fail(lineno, "let NAME[, NAME ...] [from COLUMN[, COLUMN ...]] [= SQL]"
                                  "  (or the SQL on the next lines)")
    names = re.split(r"\s*,\s*", m.group(1))
    columns = re.split(r"\s*,\s*", m.group(2)) if m.group(2) else []
    if columns and len(columns) != len(names):
        raise reader.fail(lineno, f"let: {len(names)} names but {len(columns)} columns")
    sql = m.group(3)
    if sql is None:
        sql, _ = _sql_block(reader, lineno, "let")
    return Let(lineno, names=names, columns=columns, sql=sql)


def _parse_clock(reader: _Reader, lineno: int, rest: str) -> ClockAt:
    try:
        when = datetime.fromisoformat(rest)
    except ValueError:
        raise reader.fail(lineno, "clock needs a time, e.g. `clock 2030-01-07 10:00:00` (UTC)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return ClockAt(lineno, epoch=when.timestamp())
