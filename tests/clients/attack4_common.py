"""What the attack4 wire tests share: one server per file, run as DBA and security admin,
and the outcome of a protocol exchange."""

import sys
import unittest

import psycopg2

import harness
from harness.wire import data_row, parse_error_fields


def outcome(messages):
    """('error', SQLSTATE, message) for the first ErrorResponse, else ('rows', [values])."""
    rows = []
    for kind, payload in messages:
        if kind == "E":
            fields = parse_error_fields(payload)
            return ("error", fields.get("C"), fields.get("M"))
        if kind == "D":
            rows.append([None if v is None else v.decode() for v in data_row(payload)])
    return ("rows", rows)


def setup(server, *steps):
    """Runs each step's statements, a step being (user, [sql, ...]), in order (autocommit)."""
    for user, statements in steps:
        conn = psycopg2.connect(server.dsn(user))
        conn.autocommit = True
        with conn.cursor() as c:
            for sql in statements:
                c.execute(sql)
        conn.close()


def run(tag, case):
    """Starts a dbvault server, sets `case.server`, runs the file's tests; exits 0, 1 or 77."""
    result = None
    try:
        with harness.running_server(tag, kind="dbvault") as server:
            case.server = server
            result = unittest.main(argv=[sys.argv[0]], exit=False).result
    except harness.ServerUnavailable as error:
        harness.skip_or_fail(error)
    sys.exit(0 if result is not None and result.wasSuccessful() else 1)
