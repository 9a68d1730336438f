#!/usr/bin/env bash
# pgbench through dbvault with TDE on (build/server/dbvault) against TDE off (the benchmark-only
# build/bench/dbvault_bench_plain, whose files are not encrypted), both servers running, each
# figure measured on one then the other: select-only and read-write, 1 and 8 clients, -M simple
# and -M prepared. Prints a TPS table and one machine-readable line per figure:
#   tps server=<tde-on|tde-off> script=<select|readwrite> mode=<m> clients=<n> value=<x>
#   ratio name=tde_on/tde_off:<script>:<mode>:c<n> value=<x>   (and :geomean)
# BENCH_SECONDS sets the length of each run (default 10); the other knobs are described in
# bench/pgbench_tde.py. Build first: cmake --build build --target dbvault dbvault_bench_plain
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/pgbench_tde.py" "$@"
