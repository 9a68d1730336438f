#!/usr/bin/python3
"""Runs tests/sql/**/*.test files over the wire, each against a fresh server and data dir.

usage: run_sql_tests.py [--server dbvault|postgresql|pgext] FILE.test [FILE.test ...]

For each file: start a server in a temporary directory, run the records (docs/testing.md),
stop the server (it must exit 0 on SIGTERM), then grep its log and data directory for every
secret the file used. Exit status: 0 all passed, 1 a failure, 77 every file was skipped
(its `require` lines are not met, or the server cannot run here: see harness/servers.py).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients"))

import harness  # noqa: E402
from sqltest import engines  # noqa: E402
from sqltest.executor import Runner  # noqa: E402
from sqltest.script import Script, ScriptError, parse_script  # noqa: E402

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


def unmet_requirement(script: Script, kind: str) -> str | None:
    for requirement in script.requires:
        if engines.is_known(requirement) and not engines.matches(kind, requirement):
            return f"needs the {requirement} server"
        if requirement == "clock" and kind not in engines.CLOCK_KINDS:
            return "needs the test clock"
        if not engines.is_known(requirement) and requirement != "clock":
            return f"unknown requirement {requirement!r}"
    return None


def run_file(path: Path, kind: str, **server_options) -> str:
    """Runs one file on a fresh server; returns PASSED, FAILED or SKIPPED (and prints why)."""
    try:
        script = parse_script(str(path), path.read_text())
    except ScriptError as error:
        print(f"FAILED {error}")
        return FAILED
    reason = unmet_requirement(script, kind)
    if reason:
        print(f"SKIPPED {path}: {reason}")
        return SKIPPED
    with harness.temp_workdir("sqltest") as workdir:
        server = engines.start(kind, workdir, **server_options)
        runner = Runner(server, script)
        try:
            runner.run()
        finally:
            runner.close_connections()
            status = server.stop()
        problems = [f"server exited {status} on SIGTERM (expected 0)"] if status else []
        problems += harness.find_leaks(runner.secrets, server.files_to_scan())
        for problem in problems:
            print(f"FAILED {path}: {problem}")
        if problems or runner.failed:
            print(f"  server log: {server.log_path} (DBVAULT_TEST_KEEP=1 keeps it)\n"
                  + "\n".join("  | " + line for line in _tail(server.log_path)))
        print(f"{path}: {runner.passed} passed, {runner.failed} failed, {runner.skipped} "
              f"skipped; {len(runner.secrets)} secrets looked for in {server.kind}'s files")
        return FAILED if problems or runner.failed else PASSED


def _tail(path: Path, lines: int = 30) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=engines.KINDS, default=None,
                        help="which server to test (default: $DBVAULT_TEST_SERVER or dbvault)")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    kind = args.server or engines.requested_kind()
    results = []
    for path in args.files:
        try:
            results.append(run_file(path, kind))
        except harness.ServerUnavailable as error:
            harness.skip_or_fail(error)
        except harness.ServerError as error:
            print(f"FAILED {path}: {error}")
            results.append(FAILED)
    if FAILED in results:
        return 1
    if results and all(r == SKIPPED for r in results):
        return 1 if os.environ.get("DBVAULT_TEST_REQUIRE") == "1" else harness.SKIP_EXIT_CODE
    return 0


if __name__ == "__main__":
    sys.exit(main())
