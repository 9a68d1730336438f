#!/usr/bin/env bash
# pgbench on PostgreSQL 15: plain, with the dbvault module, and with pgaudit, in one run
# (select-only and read-write at 1, 8 and 32 clients). Prints
#   tps server=<plain|dbvault|pgaudit> script=<s> clients=<n> value=<x>
#   ratio name=<...> value=<x>
# BENCH_SECONDS sets the length of each run (default 10); the other knobs are described in
# bench/pgbench_pgext.py. Needs a built module (build/pgext/dbvault.so or
# DBVAULT_PGEXT_MODULE), PostgreSQL 15 with pgbench, postgresql-15-pgaudit, python3-psycopg2.
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/pgbench_pgext.py" "$@"
