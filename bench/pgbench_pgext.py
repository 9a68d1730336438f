"""pgbench on PostgreSQL 15 three ways in one run: plain, with the dbvault module (pgbench's
tables in a realm that each connection has unlocked with a token) and with pgaudit (object
audit of the same tables), select-only and read-write, at 1, 8 and 32 clients.

Prints one line per figure and the ratios:
  tps server=<plain|dbvault|pgaudit> script=<select|readwrite> clients=<n> value=<x>
  ratio name=dbvault/<plain|pgaudit>:<script>:c<n> value=<x>   (and :geomean)
Targets (issue 12): dbvault/plain >= 0.97, dbvault ahead of pgaudit.

The three servers run at once (idle but for the one measured), and each (script, clients)
is measured on all three back to back, so load from elsewhere on the machine falls on the
three alike; BENCH_ROUNDS (1) repeats the whole sequence and reports the medians.

Knobs: BENCH_SECONDS (10), BENCH_CLIENTS ("1 8 32"), BENCH_SCRIPTS, BENCH_SCALE,
BENCH_PGEXT_SERVERS ("plain dbvault pgaudit"), BENCH_ROUNDS (1), and DBVAULT_PGEXT_MODULE /
DBVAULT_PGEXT_SQL (the module and its SQL script; default: build/pgext/dbvault.so and
pgext/dbvault--0.1.sql). All three servers run with the same settings (the test harness's:
fsync off), so the figures compare the modules, not the disks; and pgbench runs as the
same role on all three: `dba`, the tables' owner, not a superuser.
"""

import contextlib
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DBVAULT_PGEXT_MODULE", str(ROOT / "build" / "pgext" / "dbvault.so"))
os.environ.setdefault("DBVAULT_PGEXT_SQL", str(ROOT / "pgext" / "dbvault--0.1.sql"))
sys.path.insert(0, str(ROOT / "tests" / "pgext"))
sys.path.insert(0, str(ROOT / "bench"))

import pgext_cluster  # noqa: E402  (also puts tests/clients on the path)
import pgbench_vault as pv  # noqa: E402  (pgbench runs and scripts shared with the server's bench)
from harness.postgres_server import PG_BINDIR, PostgresServer  # noqa: E402

import harness  # noqa: E402

SERVERS = os.environ.get("BENCH_PGEXT_SERVERS", "plain dbvault pgaudit").split()
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
MODE = "simple"
REALM_PASSWORD = "bench-realm-password-2025"
UNLOCK_PRELUDE = """\\if :unlocked = 0
SELECT 1 FROM dbvault.unlock_realm_with_token('bench_realm', '{token}');
\\set unlocked 1
\\endif
"""


def start(name: str, workdir: Path, settings: dict[str, str] | None = None) -> harness.Server:
    """The server `name` with `settings` (extra postgresql.conf lines). On all three, pgbench
    runs as `dba`, the owner of the tables and NOT a superuser (as the module's DBA must not
    be one, docs/postgresql.md §6): the reference server makes its dba a superuser, which
    skips PostgreSQL's own ACL check and so would not compare like with like."""
    settings = dict(settings or {})
    if name == "dbvault":
        return pgext_cluster.PgextServer(workdir, settings=settings)
    if name == "pgaudit":
        settings.update({"shared_preload_libraries": "'pgaudit'",
                         "pgaudit.role": "'bench_auditor'"})
    server = PostgresServer(workdir, settings=settings)
    superuser_sql(server, "ALTER ROLE dba NOSUPERUSER CREATEDB")
    return server


def superuser_sql(server: harness.Server, sql: str) -> None:
    """`sql` as the cluster's superuser `postgres`, over the Unix socket."""
    server._run(str(PG_BINDIR / "psql"), "-X", "-q", "-h", str(server.workdir), "-p",
                str(server.port), "-U", "postgres", "-d", server.dbname, "-v",
                "ON_ERROR_STOP=1", "-c", sql)


def prepare(name: str, server: harness.Server) -> dict[str, Path]:
    pv.pgbench(server, "-i", "-I", "tgvp", "-s", pv.SCALE, "--quiet")
    prelude = ""
    tables = ", ".join(pv.TABLES)
    if name == "dbvault":
        objects = ", ".join(f"TABLE {t}" for t in pv.TABLES)
        pv.sql(server, "secadmin",
               "SELECT * FROM dbvault.execute($$CREATE REALM bench_realm REQUIRE VAULT "
               f"PASSWORD '{REALM_PASSWORD}'$$)",
               f"SELECT * FROM dbvault.execute('ALTER REALM bench_realm ADD {objects}')")
        token = pv.sql(server, "dba", "SELECT token FROM dbvault.unlock_realm("
                                      f"'bench_realm', '{REALM_PASSWORD}')")[0][0]
        prelude = UNLOCK_PRELUDE.format(token=token)
    if name == "pgaudit":  # object audit: every read and write of the same tables is logged
        superuser_sql(server, "CREATE EXTENSION pgaudit")
        superuser_sql(server, "CREATE ROLE bench_auditor")
        pv.sql(server, "dba",
               f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO bench_auditor")
    scale = int(pv.SCALE)
    sizes = {"accounts": 100000 * scale, "branches": scale, "tellers": 10 * scale}
    scripts = {}
    for script, text in (("select", pv.SELECT_SCRIPT), ("readwrite", pv.READWRITE_SCRIPT)):
        scripts[script] = server.workdir / f"{script}.pgbench"
        scripts[script].write_text(text.format(prelude=prelude, **sizes))
    return scripts


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def bench_all(results: dict) -> None:
    """Starts every server first, then runs each (script, clients) on one server after the
    other, round after round: a machine whose load drifts (other builds) shifts the three
    alike, rather than whichever server happened to run last. With BENCH_ROUNDS > 1 each
    figure is the median of its rounds."""
    with contextlib.ExitStack() as stack:
        servers, scripts = {}, {}
        for name in SERVERS:
            workdir = stack.enter_context(harness.temp_workdir(f"bench-pgext-{name}"))
            servers[name] = start(name, workdir)
            stack.callback(servers[name].stop)
            scripts[name] = prepare(name, servers[name])
        runs: dict = {}
        for _ in range(ROUNDS):
            for script in pv.SCRIPTS:
                for clients in pv.CLIENTS:
                    for name in SERVERS:
                        tps = pv.run_tps(servers[name], scripts[name][script], MODE, clients)
                        runs.setdefault((name, script, clients), []).append(tps)
        for script in pv.SCRIPTS:
            for clients in pv.CLIENTS:
                for name in SERVERS:
                    tps = median(runs[(name, script, clients)])
                    results[(name, script, clients)] = tps
                    print(f"tps server={name} script={script} clients={clients} "
                          f"value={tps:.1f}", flush=True)


def report(results: dict) -> None:
    for other in ("plain", "pgaudit"):
        values = []
        for script in pv.SCRIPTS:
            for clients in pv.CLIENTS:
                a, b = results.get(("dbvault", script, clients)), results.get((other, script, clients))
                if a and b:
                    values.append(a / b)
                    print(f"ratio name=dbvault/{other}:{script}:c{clients} value={a / b:.3f}")
        if values:
            mean = math.exp(sum(map(math.log, values)) / len(values))
            print(f"ratio name=dbvault/{other}:geomean value={mean:.3f}")


def main() -> int:
    results: dict = {}
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    try:
        bench_all(results)
    except (harness.ServerUnavailable, harness.ServerError, RuntimeError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        print(f"load average at end: {os.getloadavg()[0]:.1f}", flush=True)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
