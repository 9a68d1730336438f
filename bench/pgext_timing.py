"""What bench/pgext_propagation.py and bench/pgext_decision.py share: a PostgreSQL 15
cluster with the dbvault module and `dbvault.decision_timing = on` (docs/postgresql.md,
"Performance"), vault statements, and the timing lines each backend logs when it exits:

  dbvault decision_timing application=<a> decisions=<n> decision_ns=<sum> ...

(pgext/decision_timing.h). The knobs of both scripts: BENCH_SECONDS, DBVAULT_PGEXT_MODULE,
DBVAULT_PGEXT_SQL (default: the build tree's module and pgext/dbvault--0.1.sql).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DBVAULT_PGEXT_MODULE", str(ROOT / "build" / "pgext" / "dbvault.so"))
os.environ.setdefault("DBVAULT_PGEXT_SQL", str(ROOT / "pgext" / "dbvault--0.1.sql"))
sys.path.insert(0, str(ROOT / "tests" / "pgext"))

import pgext_cluster  # noqa: E402  (also puts tests/clients on the path)
import psycopg2  # noqa: E402

import harness  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))


def start(workdir: Path) -> pgext_cluster.PgextServer:
    return pgext_cluster.PgextServer(workdir, settings={"dbvault.decision_timing": "on"})


def connect(server, user: str, application: str):
    connection = psycopg2.connect(**server.conninfo(user, application_name=application))
    connection.autocommit = True
    return connection


def vault(connection, statement: str) -> list[tuple]:
    """SELECT * FROM dbvault.execute(statement)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM dbvault.execute(%s)", (statement,))
        return cursor.fetchall()


def timings(server, application: str, backends: int = 1) -> dict:
    """The totals of the `backends` exit lines of `application` in the server log, summed
    (clock_ns: their mean; the maxima: their maximum)."""
    found = server.decision_timings(application, backends)
    total = {k: sum(f[k] for f in found) for k in found[0]}
    total["clock_ns"] = total["clock_ns"] // len(found)
    for key in ("decision_max_ns", "reload_max_ns"):
        total[key] = max(f[key] for f in found)
    return total


def mean(total: dict, count: str, ns: str) -> float:
    return total[ns] / total[count] if total[count] else float("nan")


def run(tag: str, measure) -> int:
    """A timed cluster in a temporary directory, `measure(server)`, the cluster stopped;
    the exit code (1 when the cluster cannot run here)."""
    with harness.temp_workdir(tag) as workdir:
        try:
            server = start(workdir)
        except harness.ServerUnavailable as error:
            print(f"bench: {error}", file=sys.stderr)
            return 1
        try:
            measure(server)
        finally:
            server.stop()
    return 0
