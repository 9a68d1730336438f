#!/bin/sh
# Instructions per pgbench transaction inside dbvault, vault on against vault off, under
# valgrind's callgrind (a load-independent figure; docs/performance.md, "## server").
# Needs a built dbvault (build/server/dbvault or DBVAULT_BIN), valgrind, pgbench and
# /usr/bin/python3 with psycopg2 (scripts/setup installs them).
exec /usr/bin/python3 "$(dirname "$0")/pgbench_callgrind.py" "$@"
