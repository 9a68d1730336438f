#!/usr/bin/python3
"""Instructions per pgbench transaction of one PostgreSQL 15 backend — plain, with the dbvault
module, with pgaudit — counted by valgrind's callgrind (issue 12): a cost that does not move
with the machine's load, where pgbench's TPS on a shared 2-core machine moves by ±30 %.

Each server is made as bench/pgbench_pgext.py makes it (pgbench's tables; dbvault: in a realm
each connection unlocks once with a token; pgaudit: object audit of the same tables), with
autovacuum off (so that no worker starts during a run) and pgbench as the same non-superuser
role on all three (pgbench_pgext.start). Then its postmaster is restarted
under `valgrind --tool=callgrind`, which follows the postmaster's forks: every backend writes
its own counts when it exits. For each (script, mode): a warm-up run, then `pgbench -c 1 -t
N1` and `pgbench -c 1 -t N2`, each on a fresh connection; the figure is

    (instructions of the processes the N2 run started - those of the N1 run) / (N2 - N1)

so the connection's cost (TLS, SCRAM, the vault's login, the one unlock, a cold catalog
cache) cancels out and what is left is a warm transaction of the backend. Only user-space
instructions (no kernel, no cache misses): a cost model, not a latency. Other processes
(the WAL writer, the module's audit worker, the checkpointer) are not counted.

Prints
  instructions_per_txn server=<plain|dbvault|pgaudit> script=<s> mode=<m> value=<x>
  ratio name=dbvault/<plain|pgaudit> script=<s> mode=<m> value=<x>
Target (issue 12): dbvault/plain <= 1.03 for select-only (TPS >= 0.97 × plain).

Knobs: BENCH_PGEXT_SERVERS ("plain dbvault pgaudit"), BENCH_SCRIPTS ("select readwrite"),
BENCH_MODES ("simple prepared"), BENCH_TRANSACTIONS (N2 - N1, default 1000), BENCH_SSLMODE
(disable: plain TCP on loopback, whose reads cost the same whatever the load; require: TLS 1.3
as pgbench_pgext.py, whose figures move by about 1 % with the load), BENCH_CALLGRIND_DIR
(keep every process's callgrind file there, named <server>-<script>-<mode>-<n>.<pid>, for
callgrind_annotate), and those of pgbench_pgext.py. Run: bench/pgext_instructions.sh (needs valgrind, PostgreSQL 15, pgbench,
postgresql-15-pgaudit, python3-psycopg2 and the built module).
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Plain TCP on loopback unless asked otherwise: a read that finds the client's next query not
# there yet waits and reads again, and under TLS each retry costs thousands of instructions,
# so the figure would move with the machine's load.
os.environ.setdefault("BENCH_SSLMODE", "disable")

import pgbench_pgext as pp  # noqa: E402  (the servers' setup, shared with the TPS bench)
from pgbench_pgext import PG_BINDIR, harness, pv  # noqa: E402

SCRIPTS = os.environ.get("BENCH_SCRIPTS", "select readwrite").split()
MODES = os.environ.get("BENCH_MODES", "simple prepared").split()
TRANSACTIONS = int(os.environ.get("BENCH_TRANSACTIONS", "1000"))
BASE_TRANSACTIONS = 100  # N1: the connection's cost is in both runs
KEEP = os.environ.get("BENCH_CALLGRIND_DIR")
SETTINGS = {"autovacuum": "off"}


class Callgrind:
    """The server's postmaster restarted under callgrind; one file per process, cg.<pid>."""

    def __init__(self, server: harness.Server):
        self.server = server
        self.out = server.workdir / "callgrind"
        self.out.mkdir()
        shutil.chown(self.out, "postgres", "postgres")
        server._run(str(PG_BINDIR / "pg_ctl"), "-D", str(server.data_dir), "-m", "fast", "-w",
                    "-t", "60", "stop")
        self.log = open(server.log_path, "a")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.out}/cg.%p",
                   "--dump-instr=no", "--trace-children=no",
                   str(PG_BINDIR / "postgres"), "-D", str(server.data_dir)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=server.workdir)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        size = self.server.log_path.stat().st_size
        while time.monotonic() < deadline:
            with open(self.server.log_path, errors="replace") as f:
                f.seek(size)
                if "ready to accept connections" in f.read():
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise harness.ServerError("postgres under callgrind did not start:\n"
                                  + harness.server.log_tail(self.server.log_path))

    def files(self) -> set[Path]:
        return set(self.out.glob("cg.*"))

    def run(self, script: Path, mode: str, transactions: int, keep_as: str) -> int:
        """pgbench -c 1 -t `transactions`; the instructions of every process it started."""
        before = self.files()
        pv.pgbench(self.server, "-n", "-t", str(transactions), "-c", "1", "-M", mode,
                   "-D", "unlocked=0", "-f", str(script))
        total = sum(self._wait_dumped(f) for f in self._new_files(before))
        if KEEP:
            for f in self.files() - before:
                shutil.copy(f, Path(KEEP) / f"{keep_as}.{f.name.split('.')[-1]}")
        return total

    def _new_files(self, before: set[Path], settle: float = 2.0) -> set[Path]:
        """The files of the processes the run started: the backends exit after pgbench has
        gone, so wait until no new file appears and every new one's process has exited."""
        seen, quiet_since = set(), time.monotonic()
        while True:
            now = self.files() - before
            if now != seen:
                seen, quiet_since = now, time.monotonic()
            alive = [f for f in seen if Path(f"/proc/{f.name.split('.')[-1]}").exists()]
            if seen and not alive and time.monotonic() - quiet_since >= settle:
                return seen
            time.sleep(0.2)

    @staticmethod
    def _wait_dumped(path: Path, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("totals:"):
                    return int(line.split()[1])
            time.sleep(0.2)
        raise RuntimeError(f"{path}: no totals line")

    def stop(self) -> None:
        self.server._run(str(PG_BINDIR / "pg_ctl"), "-D", str(self.server.data_dir), "-m",
                         "fast", "-w", "-t", "300", "stop", check=False)
        self.process.wait(timeout=300)
        self.log.close()
        self.server._running = False


def per_transaction(cg: Callgrind, name: str, script: Path, mode: str) -> float:
    tag = f"{name}-{script.stem}-{mode}"
    cg.run(script, mode, BASE_TRANSACTIONS, f"{tag}-warmup")
    base = cg.run(script, mode, BASE_TRANSACTIONS, f"{tag}-{BASE_TRANSACTIONS}")
    n2 = BASE_TRANSACTIONS + TRANSACTIONS
    more = cg.run(script, mode, n2, f"{tag}-{n2}")
    return (more - base) / TRANSACTIONS


def measure(name: str, results: dict) -> None:
    with harness.temp_workdir(f"bench-instructions-{name}") as workdir:
        server = pp.start(name, workdir, SETTINGS)
        try:
            scripts = pp.prepare(name, server)
            cg = Callgrind(server)
            try:
                for script in SCRIPTS:
                    for mode in MODES:
                        value = per_transaction(cg, name, scripts[script], mode)
                        results[(name, script, mode)] = value
                        print(f"instructions_per_txn server={name} script={script} "
                              f"mode={mode} value={value:.0f}", flush=True)
            finally:
                cg.stop()
        finally:
            server.stop()


def main() -> int:
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
    results: dict = {}
    try:
        for name in pp.SERVERS:
            measure(name, results)
    except (harness.ServerUnavailable, harness.ServerError, RuntimeError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    for other in ("plain", "pgaudit"):
        for script in SCRIPTS:
            for mode in MODES:
                a, b = results.get(("dbvault", script, mode)), results.get((other, script, mode))
                if a and b:
                    print(f"ratio name=dbvault/{other} script={script} mode={mode} "
                          f"value={a / b:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
