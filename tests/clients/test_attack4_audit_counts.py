"""Attack 4, over the wire: realm_access coalescing must account for every execution.

A session interleaves more statement shapes than it keeps runs for (40 > 32), repeats them,
locks and unlocks its realm between repeats, and drops its connection without a Terminate;
another session does the same over prepared statements. The auditor's sum of executions
(a record without `repeats` counts 1, one with `repeats` = n counts n) must equal what ran.
The vault held before these tests were written; they guard it.
"""

import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg2  # noqa: E402

from attack4_common import run, setup  # noqa: E402
from harness import extended as x  # noqa: E402
from harness.wire import WireClient  # noqa: E402
SHAPES = 40
ROUNDS = 3
VAULT_PASSWORD = "audit_counts_vault_pw"
EXECUTIONS_SQL = (
    "SELECT coalesce(sum(coalesce(json_extract(detail, '$.repeats'), 1)), 0) "
    "FROM vault.audit_log WHERE event_type = 'realm_access' AND user = %s")


def executions(user):
    with psycopg2.connect(AuditCounts.server.dsn("auditor")) as a, a.cursor() as c:
        c.execute(EXECUTIONS_SQL, (user,))
        return int(c.fetchone()[0])


def wait_for_executions(user, expected, seconds=10.0):
    """The server writes a dropped session's open runs when it notices the drop."""
    deadline = time.monotonic() + seconds
    got = executions(user)
    while got != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        got = executions(user)
    return got


class AuditCounts(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        users = ("u1", "u2")
        setup(cls.server,
              ("dba", ["CREATE TABLE msec (id INT, ssn TEXT)", "INSERT INTO msec VALUES (1, 'a'), (2, 'b')",
               *[f"CREATE USER {u} PASSWORD 'Audit_counts_{u}_pw'" for u in users],
               *[f"GRANT SELECT ON msec TO {u}" for u in users]]),
              ("secadmin", ["CREATE REALM r REQUIRE VAULT PASSWORD", "ALTER REALM r ADD TABLE msec",
               f"ALTER REALM r SET VAULT PASSWORD '{VAULT_PASSWORD}'",
               *[f"ALTER REALM r AUTHORIZE USER {u}" for u in users]]))

    def login(self, user):
        w = WireClient(self.server.host, self.server.port)
        w.login(user, f"Audit_counts_{user}_pw")
        w.query_rows(f"UNLOCK REALM r PASSWORD '{VAULT_PASSWORD}'")
        return w

    def test_interleaved_shapes_lock_unlock_and_a_dropped_connection(self):
        w = self.login("u1")
        ran = 0
        for round_ in range(ROUNDS):
            for k in range(SHAPES):
                w.query_rows(f"SELECT ssn AS c{k} FROM msec WHERE id = {round_ % 2 + 1}")
                ran += 1
            w.query_rows("LOCK REALM r")
            w.query_rows(f"UNLOCK REALM r PASSWORD '{VAULT_PASSWORD}'")
        w.close()  # no Terminate: the connection just drops
        self.assertEqual(wait_for_executions("u1", ran), ran)

    def test_prepared_repeats_and_a_dropped_connection(self):
        w = self.login("u2")
        w.send(x.parse("s", "SELECT ssn FROM msec WHERE id = $1") + x.sync())
        w.read_until("Z")
        ran = 0
        for i in range(100):
            w.send(x.bind("", "s", (str(i % 2 + 1).encode(),)) + x.execute("") + x.sync())
            w.read_until("Z")
            ran += 1
        for k in range(SHAPES):  # push the prepared statement's run out, then back in
            w.query_rows(f"SELECT id AS d{k} FROM msec")
            ran += 1
        w.send(x.bind("", "s", (b"1",)) + x.execute("") + x.sync())
        w.read_until("Z")
        ran += 1
        w.close()
        self.assertEqual(wait_for_executions("u2", ran), ran)


if __name__ == "__main__":
    run("attack4-audit", AuditCounts)
