#!/usr/bin/python3
"""pgbench against three servers in one go: dbvault with the vault on, dbvault with the
vault off, and PostgreSQL 15 on a temporary directory (issue 10). Run it as
bench/pgbench_vault.sh; docs/performance.md ("## server") records its figures.

Environment: BENCH_SECONDS (per run, default 10), BENCH_CLIENTS (default "1 8 32"),
BENCH_MODES ("simple prepared"), BENCH_SCRIPTS ("select readwrite"), BENCH_SCALE (pgbench
scale, default 1), BENCH_SERVERS ("dbvault-on dbvault-off postgresql"), BENCH_IDLE (idle
sessions for the RSS figure, default 500), BENCH_SSLMODE (require: every server over TLS 1.3;
disable: every server over plain TCP on loopback), DBVAULT_BIN, PG_BINDIR.

dbvault-on: the four pgbench tables are in a realm that requires a vault password; each
pgbench connection unlocks it once, in its first transaction, with the token of an earlier
UNLOCK (`UNLOCK REALM ... TOKEN`, as a pooled connection would), so every statement after
that goes through the realm check of an unlocked session (and realm-access auditing).
dbvault-off: the same realm and unlocks, then ALTER DATABASE DISABLE DATABASE VAULT.
PostgreSQL: the same scripts without the unlock. The scripts are pgbench's built-in
select-only and TPC-B-like ones, written out. The three servers run at once, and each
figure is measured on one after the other (BENCH_ROUNDS, default 1, repeats the whole
sequence and reports the medians).
"""

import contextlib
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "clients"))

import psycopg2  # noqa: E402

import harness  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = [int(c) for c in os.environ.get("BENCH_CLIENTS", "1 8 32").split()]
MODES = os.environ.get("BENCH_MODES", "simple prepared").split()
SCRIPTS = os.environ.get("BENCH_SCRIPTS", "select readwrite").split()
SCALE = os.environ.get("BENCH_SCALE", "1")
SERVERS = os.environ.get("BENCH_SERVERS", "dbvault-on dbvault-off postgresql").split()
IDLE = int(os.environ.get("BENCH_IDLE", "500"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
SSLMODE = os.environ.get("BENCH_SSLMODE", "require")
TABLES = ("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history")
REALM_PASSWORD = "bench-realm-password-2025"

# pgbench's built-in scripts (pgbench 15), with {prelude} for the one-time unlock.
SELECT_SCRIPT = """{prelude}\\set aid random(1, {accounts})
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
"""
READWRITE_SCRIPT = """{prelude}\\set aid random(1, {accounts})
\\set bid random(1, {branches})
\\set tid random(1, {tellers})
\\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
"""
# Client variables persist across a pgbench client's transactions: this runs once per
# connection.
UNLOCK_PRELUDE = """\\if :unlocked = 0
UNLOCK REALM bench_realm TOKEN '{token}';
\\set unlocked 1
\\endif
"""


def start(name: str, workdir: Path) -> harness.Server:
    if name == "postgresql":
        return harness.start("postgresql", workdir, durable=True)
    return harness.start("dbvault", workdir, log_level="info", test_clock=False,
                         serve_args=["--max-connections", str(max(IDLE, max(CLIENTS)) + 50)])


def sql(server: harness.Server, user: str, *statements: str) -> list:
    """Runs the statements on one connection; returns the last one's rows."""
    connection = psycopg2.connect(**server.conninfo(user, sslmode=SSLMODE))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def prepare(name: str, server: harness.Server) -> dict[str, Path]:
    """pgbench -i, the realm and a token (dbvault), the vault switch (dbvault-off); returns
    the pgbench script file of each script name."""
    pgbench(server, "-i", "-I", "tgvp", "-s", SCALE, "--quiet")  # a fresh server: nothing to drop
    prelude = ""
    if name.startswith("dbvault"):
        objects = ", ".join(f"TABLE {t}" for t in TABLES)
        sql(server, "secadmin",
            f"CREATE REALM bench_realm REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
            f"ALTER REALM bench_realm ADD {objects}")
        rows = sql(server, "dba", f"UNLOCK REALM bench_realm PASSWORD '{REALM_PASSWORD}'")
        prelude = UNLOCK_PRELUDE.format(token=rows[0][1])
    if name == "dbvault-off":
        sql(server, "secadmin", "ALTER DATABASE DISABLE DATABASE VAULT")
    scale = int(SCALE)
    sizes = {"accounts": 100000 * scale, "branches": scale, "tellers": 10 * scale}
    scripts = {}
    for script, text in (("select", SELECT_SCRIPT), ("readwrite", READWRITE_SCRIPT)):
        scripts[script] = server.workdir / f"{script}.pgbench"
        scripts[script].write_text(text.format(prelude=prelude, **sizes))
    return scripts


def pgbench(server: harness.Server, *args: str) -> str:
    result = subprocess.run(["pgbench", *args], env=server.libpq_env("dba", sslmode=SSLMODE),
                            capture_output=True, text=True, timeout=SECONDS * 4 + 600)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(args)} exited {result.returncode}:\n"
                           f"{result.stdout}{result.stderr}")
    return result.stdout


def run_tps(server: harness.Server, script: Path, mode: str, clients: int) -> float:
    out = pgbench(server, "-n", "-T", str(SECONDS), "-c", str(clients), "-j",
                  str(min(clients, 2)), "-M", mode, "-D", "unlocked=0", "-f", str(script))
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if failed and int(failed.group(1)):
        raise RuntimeError(f"pgbench reported {failed.group(1)} failed transactions:\n{out}")
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def rss_per_idle_session(server: harness.Server) -> float:
    """(RSS with IDLE authenticated idle sessions - RSS before) / IDLE, in KiB."""
    before = rss_kib(server.pid)
    sessions = [psycopg2.connect(**server.conninfo("dba", sslmode=SSLMODE)) for _ in range(IDLE)]
    try:
        time.sleep(1.0)  # let the server settle what it allocates per session
        after = rss_kib(server.pid)
    finally:
        for session in sessions:
            session.close()
    return (after - before) / IDLE


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def bench_all(results: dict, extra: dict) -> bool:
    """Starts every server first, then runs each figure on one server after the other, round
    after round: a machine whose load drifts shifts the servers alike instead of whichever ran
    last. With BENCH_ROUNDS > 1 each figure is the median of its rounds. A failed run is
    reported and the others still run; returns whether all succeeded."""
    all_ok = True
    with contextlib.ExitStack() as stack:
        servers, scripts = {}, {}
        for name in SERVERS:
            try:
                workdir = stack.enter_context(harness.temp_workdir(f"bench-{name}"))
                servers[name] = start(name, workdir)
                stack.callback(servers[name].stop)
                scripts[name] = prepare(name, servers[name])
            except (harness.ServerUnavailable, harness.ServerError, RuntimeError) as error:
                print(f"bench: {name}: {error}", file=sys.stderr)
                servers.pop(name, None)
                all_ok = False
        runs: dict = {}
        for _ in range(ROUNDS):
            for script in SCRIPTS:
                for mode in MODES:
                    for clients in CLIENTS:
                        for name, server in servers.items():
                            try:
                                tps = run_tps(server, scripts[name][script], mode, clients)
                            except RuntimeError as error:
                                print(f"bench: {name} {script} {mode} {clients} clients: "
                                      f"{str(error).strip().splitlines()[-2:]}", file=sys.stderr)
                                all_ok = False
                                continue
                            runs.setdefault((name, script, mode, clients), []).append(tps)
        for key, values in runs.items():
            results[key] = median(values)
            name, script, mode, clients = key
            print(f"tps server={name} script={script} mode={mode} clients={clients} "
                  f"value={results[key]:.1f}", flush=True)
        if "dbvault-on" in servers and IDLE:
            extra["rss"] = rss_per_idle_session(servers["dbvault-on"])
            print(f"rss_per_idle_session_kib value={extra['rss']:.1f}", flush=True)
    return all_ok


def ratio(results: dict, a: str, b: str, key: tuple) -> float | None:
    x, y = results.get((a, *key)), results.get((b, *key))
    return x / y if x and y else None


PAIRS = (("dbvault-on", "dbvault-off", "on/off"), ("dbvault-on", "postgresql", "on/pg"))


def report(results: dict, extra: dict) -> None:
    """The table for people, then one `ratio` line per figure and the geometric means."""
    pairs = [p for p in PAIRS if p[0] in SERVERS and p[1] in SERVERS]
    print(f"\npgbench, {SECONDS} s per run, scale {SCALE}, sslmode={SSLMODE} (TPS)")
    print(f"{'script':<10} {'mode':<9} {'clients':>7}" + "".join(f" {s:>12}" for s in SERVERS)
          + "".join(f" {label:>7}" for _, _, label in pairs))
    lines = []
    for script in SCRIPTS:
        for mode in MODES:
            for clients in CLIENTS:
                key = (script, mode, clients)
                row = f"{script:<10} {mode:<9} {clients:>7}" + "".join(
                    f" {results.get((s, *key), float('nan')):>12.1f}" for s in SERVERS)
                for a, b, _ in pairs:
                    r = ratio(results, a, b, key)
                    row += f" {r:>7.3f}" if r else f" {'-':>7}"
                    if r:
                        lines.append(f"ratio name={a}/{b}:{script}:{mode}:c{clients} value={r:.3f}")
                print(row)
    for a, b, _ in pairs:
        values = [r for key in results if key[0] == a if (r := ratio(results, a, b, key[1:]))]
        if values:
            mean = math.exp(sum(map(math.log, values)) / len(values))
            lines.append(f"ratio name={a}/{b}:geomean value={mean:.3f}")
    if "rss" in extra:
        print(f"dbvault-on RSS per idle session ({IDLE} sessions): {extra['rss']:.1f} KiB")
    print("targets: dbvault-on/dbvault-off >= 0.97; select, 8 clients: dbvault-on/postgresql "
          ">= 1.0; RSS per idle session <= 512 KiB\n")
    print("\n".join(lines))


def main() -> int:
    results: dict = {}
    extra: dict = {}
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    ok = bench_all(results, extra)
    print(f"load average at end: {os.getloadavg()[0]:.1f}", flush=True)
    report(results, extra)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
