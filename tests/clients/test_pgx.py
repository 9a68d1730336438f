#!/usr/bin/python3
"""Go's pgx v4 (Debian's golang-github-jackc-pgx-v4-dev, built offline in GOPATH mode from
/usr/share/gocode) against the server, unmodified; the cases are in go/pgx_client.go."""

import os
import shutil
import subprocess
from pathlib import Path

import driver_case

GOCODE = Path("/usr/share/gocode")
PROGRAM = driver_case.client_case.CLIENTS_DIR / "go" / "pgx_client.go"
CASES = ["connect_tls_scram", "binary_results", "typed_parameters", "described_parameter_types",
         "prepared_statement_reused", "error_then_usable", "transaction_rolled_back"]


def build_program(go: str) -> Path:
    """Compiles the program once per build tree (Go's cache makes a rebuild quick)."""
    cache = driver_case.build_cache("go")
    binary = cache / "pgx_client"
    env = {**os.environ, "GO111MODULE": "off", "GOFLAGS": "", "GOPROXY": "off",
           "GOPATH": f"{GOCODE}:{cache / 'gopath'}", "GOCACHE": str(cache / "build")}
    subprocess.run([go, "build", "-o", str(binary), str(PROGRAM)], env=env, check=True,
                   timeout=300, cwd=cache)
    return binary


class Pgx(driver_case.DriverCase):
    def test_pgx(self):
        binary = build_program(shutil.which("go") or "go")
        result = self.run_client([str(binary)], check=False, timeout=60,
                                 extra_env=self.driver_env())
        print(result.stdout)
        self.check_cases(result.stdout, CASES + (["vault_scenario"] if self.kind == "dbvault"
                                                 else []))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    if not shutil.which("go") or not (GOCODE / "src/github.com/jackc/pgx/v4").is_dir():
        driver_case.client_case.harness.skip_or_fail(driver_case.client_case.harness
                                                     .ServerUnavailable("go or pgx v4 missing"))
    driver_case.client_case.main()
