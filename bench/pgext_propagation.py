#!/usr/bin/python3
"""Policy change propagation between two backends of the PostgreSQL module (issue 12).

Backend A (secadmin) alternately creates and drops a command rule that denies backend B
(dba) `SELECT` on a one-row table; B runs that SELECT in a loop on its own connection (a
thread of this process, so both share one clock). For each change: the latency from A's
vault statement returning (its change committed and the shared policy version moved) to
the end of B's first statement with the new decision. A statement B *started* after A's
statement returned and that still saw the old decision would be a stale decision: counted,
and the target is none.

Prints, over BENCH_CHANGES changes (default 200; half deny, half allow):
  propagation_ms name=<p50|p99|max> value=<x>        (all changes)
  propagation_ms name=<deny|allow>_<p50|max> value=<x>
  propagation_ms name=loop_statement value=<x>       (B's mean statement, the floor)
  propagation_count name=stale value=<n>
  version_check_ns name=<mean|clock_floor> value=<x> (B's check when nothing moved)
  reload_ms name=<mean|max> value=<x>                (B's snapshot rebuilds)
Run: bench/pgext_propagation.py (needs the built module, PostgreSQL 15, psycopg2).
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pgext_timing as pt  # noqa: E402

import psycopg2.errors  # noqa: E402

CHANGES = int(os.environ.get("BENCH_CHANGES", "200"))
RULE = ("CREATE COMMAND RULE bench_prop FOR SELECT ON TABLE prop_t DENY FROM ROLE dba "
        "MESSAGE 'propagation bench'")
DROP = "DROP COMMAND RULE bench_prop"
READER = "bench_prop_reader"


class Reader(threading.Thread):
    """B: runs the SELECT until stopped; keeps (start_ns, end_ns, allowed) per statement."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.connection = pt.connect(server, "dba", READER)
        self.observations: list[tuple[int, int, bool]] = []
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.connection.cursor() as cursor:
                while not self.stop.is_set():
                    start = time.perf_counter_ns()
                    try:
                        cursor.execute("SELECT id FROM prop_t")
                        cursor.fetchall()
                        allowed = True
                    except psycopg2.errors.InsufficientPrivilege:
                        allowed = False
                    with self.changed:
                        self.observations.append((start, time.perf_counter_ns(), allowed))
                        self.changed.notify_all()
        except BaseException as error:  # reported by the main thread
            self.error = error
        finally:
            self.connection.close()

    def wait_for(self, allowed: bool, since: int, after_ns: int, timeout: float = 10.0):
        """The first observation past index `since` with the decision `allowed` that ended
        after `after_ns`; and how many started after it with the other decision."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                stale = 0
                for start, end, seen in self.observations[since:]:
                    if seen == allowed and end > after_ns:
                        return end, stale
                    if start > after_ns:
                        stale += 1
                if self.error or time.monotonic() > deadline:
                    raise RuntimeError(f"B never saw allowed={allowed}: {self.error}")
                self.changed.wait(0.5)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(server) -> None:
    server.psql_admin(server.dbname, "SET ROLE dba;\nCREATE TABLE prop_t (id int);\n"
                                     "INSERT INTO prop_t VALUES (1);")
    admin = pt.connect(server, "secadmin", "bench_prop_admin")
    reader = Reader(server)
    reader.start()
    latencies = {True: [], False: []}
    stale_total = 0
    try:
        for i in range(CHANGES):
            deny = i % 2 == 0
            since = len(reader.observations)
            pt.vault(admin, RULE if deny else DROP)
            committed = time.perf_counter_ns()
            seen, stale = reader.wait_for(not deny, since, committed)
            stale_total += stale
            latencies[not deny].append(max(0, seen - committed) / 1e6)
    finally:
        reader.stop.set()
        reader.join(30)
        admin.close()
    every = latencies[True] + latencies[False]
    for name, p in (("p50", 50), ("p99", 99), ("max", 100)):
        print(f"propagation_ms name={name} value={percentile(every, p):.3f}")
    for allowed, label in ((False, "deny"), (True, "allow")):
        print(f"propagation_ms name={label}_p50 value={percentile(latencies[allowed], 50):.3f}")
        print(f"propagation_ms name={label}_max value={max(latencies[allowed]):.3f}")
    obs = reader.observations
    print(f"propagation_ms name=loop_statement "
          f"value={sum(e - s for s, e, _ in obs) / len(obs) / 1e6:.3f}")
    print(f"propagation_count name=stale value={stale_total}")
    t = pt.timings(server, READER)
    print(f"version_check_ns name=mean value={pt.mean(t, 'version_checks', 'version_ns'):.1f}")
    print(f"version_check_ns name=clock_floor value={t['clock_ns']}")
    print(f"reload_ms name=mean value={pt.mean(t, 'reloads', 'reload_ns') / 1e6:.3f}")
    print(f"reload_ms name=max value={t['reload_max_ns'] / 1e6:.3f}")
    print(f"propagation_count name=reloads value={t['reloads']}", flush=True)


if __name__ == "__main__":
    sys.exit(pt.run("bench-pgext-propagation", measure))
