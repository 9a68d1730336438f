#!/usr/bin/env bash
# pgbench against dbvault (vault on), dbvault (vault off) and PostgreSQL 15, in one go:
# select-only and read-write, 1, 8 and 32 clients, -M simple and -M prepared; prints a TPS
# table, the ratios, the RSS per idle session, and one machine-readable line per figure:
#   tps server=<dbvault-on|dbvault-off|postgresql> script=<select|readwrite> mode=<m> clients=<n> value=<x>
#   ratio name=<what over what> value=<x>
#   rss_per_idle_session_kib value=<x>
# BENCH_SECONDS sets the length of each run (default 10); the other knobs are described in
# bench/pgbench_vault.py. Needs a built dbvault (build/server/dbvault or DBVAULT_BIN),
# PostgreSQL 15 (/usr/lib/postgresql/15/bin or PG_BINDIR), pgbench and python3-psycopg2.
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/pgbench_vault.py" "$@"
