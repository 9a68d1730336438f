#!/usr/bin/python3
"""The cost of one decision inside a PostgreSQL backend of the module (issue 12).

One cluster with `dbvault.decision_timing = on` (pgext/decision_timing.h: the module's own
clock around each range table its executor hooks check — the relations gathered from the
catalogs, the policy version check, the realm and command-rule decision, the body check).
Three one-row tables, each read by `pgbench -M prepared -c 1` for BENCH_SECONDS (default
10) with `SELECT id FROM <table> WHERE id = :id`:
  realm_hit  a table in a realm the connection unlocked with a token (the realm check
             admits it; no command rule);
  no_realm   a table in no realm, no command rule (realms exist for other tables);
  rule_eval  a table in no realm with a command rule for SELECT on it whose condition is
             evaluated on every statement and does not deny (program_name = '...').
Prints, per case, the mean over every decision of the run (µs, the clock's own cost
included: clock_ns) and pgbench's TPS:
  decision_us name=<realm_hit|no_realm|rule_eval> value=<x>
  decision_us name=<case>_max value=<x>
  tps case=<case> value=<x>
  decision_ns name=clock_floor value=<x>
Run: bench/pgext_decision.py (needs the built module, PostgreSQL 15, pgbench, psycopg2).
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pgext_timing as pt  # noqa: E402


PASSWORD = "decision-bench-password-2025"
TABLES = {"realm_hit": "dec_realm", "no_realm": "dec_plain", "rule_eval": "dec_rule"}
SETUP = (f"CREATE REALM dec_realm REQUIRE VAULT PASSWORD '{PASSWORD}'",
         "ALTER REALM dec_realm ADD TABLE dec_realm",
         "CREATE COMMAND RULE dec_rule FOR SELECT ON TABLE dec_rule "
         "DENY WHEN program_name = 'never-this-program' MESSAGE 'decision bench'")
PRELUDE = """\\if :unlocked = 0
SELECT 1 FROM dbvault.unlock_realm_with_token('dec_realm', '{token}');
\\set unlocked 1
\\endif
"""


def prepare(server) -> str:
    """The tables, the realm and the rule; returns a token of the realm for `dba`."""
    server.psql_admin(server.dbname, "SET ROLE dba;\n" + "".join(
        f"CREATE TABLE {t} (id int PRIMARY KEY);\nINSERT INTO {t} VALUES (1);\n"
        for t in TABLES.values()))
    secadmin = pt.connect(server, "secadmin", "decision_setup")
    for statement in SETUP:
        pt.vault(secadmin, statement)
    secadmin.close()
    dba = pt.connect(server, "dba", "decision_setup")
    with dba.cursor() as cursor:
        cursor.execute("SELECT token FROM dbvault.unlock_realm('dec_realm', %s)", (PASSWORD,))
        token = cursor.fetchone()[0]
    dba.close()
    return token


def run_case(server, case: str, token: str) -> float:
    script = server.workdir / f"{case}.pgbench"
    prelude = PRELUDE.format(token=token) if case == "realm_hit" else ""
    script.write_text(f"{prelude}SELECT id FROM {TABLES[case]} WHERE id = 1;\n")
    env = server.libpq_env("dba", application_name=f"decision_{case}")
    result = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", "1", "-T", str(pt.SECONDS),
                             "-D", "unlocked=0", "-f", str(script)], env=env,
                            capture_output=True, text=True, timeout=pt.SECONDS * 4 + 120)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if result.returncode != 0 or (failed and int(failed.group(1))):
        raise RuntimeError(f"pgbench {case}: {result.stdout}{result.stderr}")
    return float(re.search(r"tps = ([0-9.]+)", result.stdout).group(1))


def measure(server) -> None:
    token = prepare(server)
    clock = []
    for case in TABLES:
        tps = run_case(server, case, token)
        t = pt.timings(server, f"decision_{case}")
        clock.append(t["clock_ns"])
        print(f"decision_us name={case} value={pt.mean(t, 'decisions', 'decision_ns') / 1e3:.2f}")
        print(f"decision_us name={case}_max value={t['decision_max_ns'] / 1e3:.1f}")
        print(f"tps case={case} value={tps:.1f}", flush=True)
    print(f"decision_ns name=clock_floor value={sum(clock) // len(clock)}")


if __name__ == "__main__":
    sys.exit(pt.run("bench-pgext-decision", measure))
