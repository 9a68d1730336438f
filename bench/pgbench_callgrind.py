#!/usr/bin/python3
"""Instructions per pgbench transaction inside dbvault, vault on against vault off, counted by
valgrind's callgrind: a figure that does not move with the machine's load (pgbench TPS on a
shared 2-core machine does), for telling whether a change made the statement path cheaper.

Each server (bench/pgbench_vault.py's setup: the pgbench tables in a realm, each connection
unlocked with a token; dbvault-off adds ALTER DATABASE DISABLE DATABASE VAULT) runs `serve`
under callgrind. The counters are zeroed after the setup, pgbench runs BENCH_TRANSACTIONS
transactions on one connection, the counters are dumped, and the instructions of every
thread of the server are divided by the transactions. Only user-space instructions are
counted (no kernel time, no cache misses): a cost model, not a latency.

Run: bench/pgbench_callgrind.sh. Environment: BENCH_TRANSACTIONS (default 2000),
BENCH_SCRIPTS ("select readwrite"), BENCH_MODES ("simple prepared"), DBVAULT_BIN.
Prints `instructions server=<dbvault-on|dbvault-off> script=<s> mode=<m> per_txn=<x>` and
`ratio name=instructions_on/off script=<s> mode=<m> value=<x>` lines.
"""

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgbench_vault as pv  # noqa: E402
from harness.dbvault_server import dbvault_binary  # noqa: E402

TRANSACTIONS = int(os.environ.get("BENCH_TRANSACTIONS", "2000"))
SCRIPTS = os.environ.get("BENCH_SCRIPTS", "select readwrite").split()
MODES = os.environ.get("BENCH_MODES", "simple prepared").split()
WRAPPER = """#!/bin/sh
# init as it is; serve under callgrind, one output file per thread
for a in "$@"; do
  if [ "$a" = serve ]; then
    exec valgrind --tool=callgrind --callgrind-out-file={out}/callgrind.out \\
      --separate-threads=yes --dump-instr=no "{binary}" "$@"
  fi
done
exec "{binary}" "$@"
"""


def dumped_instructions(out: Path) -> int:
    """The Ir total of every per-thread file of the dump taken after the zeroing."""
    total = 0
    for f in out.glob("callgrind.out.1-*"):
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith("totals:"):
                total += int(line.split()[1])
    return total


def measure(name: str, script: str, mode: str, work: Path, binary: str) -> float:
    out = work / f"{name}-{script}-{mode}"
    out.mkdir()
    wrapper = out / "dbvault"
    wrapper.write_text(WRAPPER.format(out=out, binary=binary))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    os.environ["DBVAULT_BIN"] = str(wrapper)
    server = pv.start(name, out)
    try:
        scripts = pv.prepare(name, server)
        subprocess.run(["callgrind_control", "-z", str(server.pid)], check=True,
                       capture_output=True)
        pv.pgbench(server, "-n", "-t", str(TRANSACTIONS), "-c", "1", "-M", mode,
                   "-f", str(scripts[script]), "-D", "unlocked=0")
        subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True,
                       capture_output=True)
    finally:
        server.stop()
    return dumped_instructions(out) / TRANSACTIONS


def main() -> int:
    binary = str(dbvault_binary())
    with tempfile.TemporaryDirectory(prefix="dbvault-callgrind-") as tmp:
        for script in SCRIPTS:
            for mode in MODES:
                per = {}
                for name in ("dbvault-on", "dbvault-off"):
                    per[name] = measure(name, script, mode, Path(tmp), binary)
                    print(f"instructions server={name} script={script} mode={mode} "
                          f"per_txn={per[name]:.0f}", flush=True)
                print(f"ratio name=instructions_on/off script={script} mode={mode} "
                      f"value={per['dbvault-on'] / per['dbvault-off']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
