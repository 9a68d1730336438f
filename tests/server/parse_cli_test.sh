#!/usr/bin/env bash
# End-to-end checks of `dbvault parse` and the command line: routing, canonical output,
# redaction of secrets, error lines and exit statuses.
set -u
dbvault="$1"
failures=0
check() {  # check <description> <expected exit> <expected output substring> -- command...
  local what="$1" want_rc="$2" want_out="$3"; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc -ne $want_rc || "$out" != *"$want_out"* ]]; then
    echo "FAIL: $what: exit $rc (want $want_rc), output:"; echo "$out"; failures=$((failures + 1))
  fi
}
refute() {  # refute <description> <forbidden substring> -- command...
  local what="$1" bad="$2"; shift 3
  local out; out=$("$@" 2>&1)
  if [[ "$out" == *"$bad"* ]]; then echo "FAIL: $what: output contains '$bad'"; failures=$((failures + 1)); fi
}

check "vault statement" 0 "CREATE REALM              vault     CREATE REALM r MANDATORY ENABLED" -- \
  "$dbvault" parse -c "create realm R"
check "engine statement" 0 "ENGINE SQL                engine    SELECT 1" -- "$dbvault" parse -c "SELECT 1;"
check "script numbering" 0 "  2  UNLOCK REALM" -- "$dbvault" parse -c "SELECT 1; UNLOCK REALM r PASSWORD 'x'"
check "password redacted" 0 "PASSWORD '********'" -- "$dbvault" parse -c "UNLOCK REALM r PASSWORD 'hunter2-secret'"
refute "password never printed" "hunter2-secret" -- "$dbvault" parse -c "UNLOCK REALM r PASSWORD 'hunter2-secret'"
refute "password never printed in errors" "hunter2" -- "$dbvault" parse -c "UNLOCK REALM r 'hunter2-secret'"
check "syntax error" 1 "ERROR 42601: syntax error at line 2, column 11: unexpected end of statement, expected a name" -- \
  "$dbvault" parse -c $'SELECT 1;\nDROP REALM'
check "statements before an error still print" 1 "  1  ENGINE SQL" -- "$dbvault" parse -c $'SELECT 1;\nDROP REALM'
check "semantic error" 1 "ERROR 22023: emergency unlock is limited to 1 hour" -- \
  "$dbvault" parse -c "EMERGENCY UNLOCK REALM r AUTHORIZED BY u REASON 'x' VALID FOR INTERVAL '2 hours'"
check "stdin" 0 "DROP REALM" -- bash -c "echo 'DROP REALM r;' | '$dbvault' parse"
tmp=$(mktemp); echo "LOCK ALL REALMS;" > "$tmp"
check "file" 0 "LOCK ALL REALMS" -- "$dbvault" parse -f "$tmp"; rm -f "$tmp"
check "missing file" 1 "ERROR 58030: cannot open /nonexistent/x.sql" -- "$dbvault" parse -f /nonexistent/x.sql
check "help" 0 "usage: dbvault" -- "$dbvault" help
check "no command" 2 "usage: dbvault" -- "$dbvault"
check "unknown command" 2 "dbvault: unknown command frobnicate" -- "$dbvault" frobnicate
check "bad log format" 2 "unknown log format \"xml\"" -- "$dbvault" --log-format xml parse -c "SELECT 1"
check "bad log level" 2 "unknown log level \"loud\"" -- "$dbvault" --log-level loud parse -c "SELECT 1"

if ((failures)); then echo "$failures check(s) failed"; exit 1; fi
echo "all dbvault parse checks passed"
