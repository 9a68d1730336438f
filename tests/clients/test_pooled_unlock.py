#!/usr/bin/python3
"""A connection pool opening: many connections of one user unlock a realm with the same
token at the same moment (UNLOCK REALM ... TOKEN, docs/vault.md §5). Every one must
succeed: successful unlocks are not failures, and never count toward the lockout of five
failures in 15 minutes. (bench/pgbench_vault.sh found this with pgbench -c 8.)"""

import threading

import psycopg2

import client_case

CONNECTIONS = 16
ROUNDS = 3
REALM_PASSWORD = "pool-realm-password-2025"


class PooledUnlock(client_case.ServerCase):
    def test_simultaneous_token_unlocks_all_succeed(self):
        self.require_dbvault()
        self.execute("CREATE TABLE pool_data (id INTEGER)", "INSERT INTO pool_data VALUES (1)")
        self.execute(f"CREATE REALM pool_realm REQUIRE VAULT PASSWORD '{REALM_PASSWORD}'",
                     "ALTER REALM pool_realm ADD TABLE pool_data", user="secadmin")
        token = self.execute(f"UNLOCK REALM pool_realm PASSWORD '{REALM_PASSWORD}'")[0][1]
        for round_ in range(ROUNDS):
            connections = [self.connect() for _ in range(CONNECTIONS)]
            barrier = threading.Barrier(CONNECTIONS)
            errors: list[str] = []

            def unlock(connection):
                with connection.cursor() as cursor:
                    barrier.wait()
                    try:
                        cursor.execute(f"UNLOCK REALM pool_realm TOKEN '{token}'")
                        cursor.execute("SELECT count(*) FROM pool_data")
                    except psycopg2.Error as e:
                        errors.append(f"{e.pgcode}: {e.diag.message_primary}")

            threads = [threading.Thread(target=unlock, args=(c,)) for c in connections]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [], f"round {round_}")
            for connection in connections:
                connection.close()


if __name__ == "__main__":
    client_case.main()
