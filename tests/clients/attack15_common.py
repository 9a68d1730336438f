"""Shared frame of the attack 15 tests (test_attack15_*.py): one dbvault server per script,
and a runner that prints PASS (defended) or FAIL (hole) per test and exits 1 on any FAIL.
The attacks were written blind by a reviewer (attack 15, stop 29); both found holes, fixed."""

import sys
import unittest

import client_case
from harness import extended as x  # noqa: F401
from harness import wire  # noqa: F401

ServerCase = client_case.ServerCase


class Hole(AssertionError):
    """Raised by a test when the attack worked."""


def rows(messages):
    return [wire.data_row(p) for k, p in messages if k == "D"]


def errors(messages):
    return [wire.parse_error_fields(p) for k, p in messages if k == "E"]


def main() -> None:
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules["__main__"])
    tests = [t.id() for t in _all(suite)]
    result = unittest.TestResult()
    suite.run(result)
    verdicts = {}
    for test, trace in result.failures:
        verdicts[test.id()] = "FAIL " + trace.strip().splitlines()[-1]
    for test, trace in result.errors:
        verdicts[test.id()] = "ERROR " + trace.strip()
    for test, trace in result.errors:
        if test.id() not in tests:
            print("ERROR " + trace.strip(), flush=True)
    for name in tests:
        print(verdicts.get(name, "PASS") + "  [" + name.split(".", 1)[-1] + "]", flush=True)
    bad = [v for v in verdicts.values() if v.startswith(("FAIL", "ERROR"))]
    sys.exit(1 if bad else 0)


def _all(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _all(t)
        else:
            yield t


# --- small helpers shared by the attack15 reproducers -----------------------------------
def wire_client(case, user="dba"):
    c = wire.WireClient("127.0.0.1", case.server.port)
    case.addCleanup(c.close)
    c.login(user, case.server.passwords[user])
    return c


def ext_query(c, sql, params=(), name=""):
    """Parse/Bind/Describe/Execute/Sync in one write; (rows as str lists, SQLSTATEs)."""
    enc = tuple(None if p is None else str(p).encode() for p in params)
    c.send(x.parse(name, sql) + x.bind("", name, enc) + x.describe("P", "") + x.execute("", 0)
           + x.sync())
    out = c.read_until("Z", raise_errors=False)
    return ([[v.decode() if v is not None else None for v in r] for r in rows(out)],
            [e.get("C") for e in errors(out)])


def simple(c, sql):
    out = c.query(sql)
    return ([[v.decode() if v is not None else None for v in r] for r in rows(out)],
            [(e.get("C"), e.get("M")) for e in errors(out)])


def prepare(c, name, sql):
    c.send(x.parse(name, sql) + x.sync())
    out = c.read_until("Z", raise_errors=False)
    return [e.get("C") for e in errors(out)]


def run_prepared(c, name, params=()):
    """Bind/Describe/Execute/Sync of a named statement; (rows, SQLSTATEs)."""
    enc = tuple(None if p is None else str(p).encode() for p in params)
    c.send(x.bind("", name, enc) + x.describe("P", "") + x.execute("", 0) + x.sync())
    out = c.read_until("Z", raise_errors=False)
    return ([[v.decode() if v is not None else None for v in r] for r in rows(out)],
            [e.get("C") for e in errors(out)])
