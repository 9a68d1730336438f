#!/bin/sh
# Instructions per pgbench transaction of a PostgreSQL 15 backend: plain, with the dbvault
# module, with pgaudit, under callgrind (load-independent). Knobs: bench/pgext_instructions.py.
exec /usr/bin/python3 "$(dirname "$0")/pgext_instructions.py" "$@"
