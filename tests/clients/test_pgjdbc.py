#!/usr/bin/python3
"""pgjdbc (Debian's libpostgresql-jdbc-java, /usr/share/java/postgresql.jar) against the
server, unmodified; the cases are in jdbc/PgjdbcTest.java (see there), run as a single-file
Java program."""

import shutil
from pathlib import Path

import driver_case

JAR = Path("/usr/share/java/postgresql.jar")
PROGRAM = driver_case.client_case.CLIENTS_DIR / "jdbc" / "PgjdbcTest.java"
CASES = ["connect_tls_scram", "binary_results", "typed_parameters",
         "parameters_compared_with_columns", "prepared_statement_reused", "error_then_usable",
         "transaction_rolled_back", "metadata_tables"]

# Cases dbvault does not pass yet (docs/testing.md).
KNOWN_GAPS: tuple[str, ...] = ()


class Pgjdbc(driver_case.DriverCase):
    def test_pgjdbc(self):
        result = self.run_client([shutil.which("java") or "java", "-cp", str(JAR), str(PROGRAM)],
                                 check=False, timeout=120, extra_env=self.driver_env())
        print(result.stdout)
        self.check_cases(result.stdout, CASES + (["vault_scenario"] if self.kind == "dbvault"
                                                 else []), known_gaps=KNOWN_GAPS)
        if not any(f"not ok {gap}:" in result.stdout for gap in KNOWN_GAPS):
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    if not JAR.exists() or not shutil.which("java"):
        driver_case.client_case.harness.skip_or_fail(driver_case.client_case.harness
                                                     .ServerUnavailable(f"java or {JAR} missing"))
    driver_case.client_case.main()
