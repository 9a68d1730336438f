#!/usr/bin/python3
"""pgbench against the server: `pgbench -i` (its DDL, COPY and the catalog queries it makes),
then short select-only runs in -M simple, extended and prepared, and short TPC-B-like
runs; none may end with a failed transaction."""

import re

import client_case

PGBENCH = "/usr/bin/pgbench"


class Pgbench(client_case.ServerCase):
    def pgbench(self, *args: str):
        return self.run_client([PGBENCH, *args], timeout=300)

    def test_1_init(self):
        result = self.pgbench("-i", "-s", "1", "--quiet")
        self.assertIn("done", result.stderr)
        rows = self.execute("SELECT count(*) FROM pgbench_accounts")
        self.assertEqual(rows, [(100000,)])

    def check_run(self, *args: str, clients: int = 2, seconds: int = 3) -> float:
        result = self.pgbench("-n", "-T", str(seconds), "-c", str(clients), "-j", "2", *args)
        self.assertNotIn("error", result.stderr)
        out = result.stdout
        self.assertRegex(out, r"number of failed transactions: 0\b")
        match = re.search(r"tps = ([0-9.]+)", out)
        self.assertIsNotNone(match, out)
        self.assertGreater(float(match.group(1)), 0)
        return float(match.group(1))

    def test_2_select_only(self):
        for mode in ("simple", "extended", "prepared"):
            with self.subTest(mode=mode):
                self.check_run("-S", "-M", mode)

    def test_3_tpcb_like(self):
        for mode in ("simple", "prepared"):
            with self.subTest(mode=mode):
                self.check_run("-M", mode)
        rows = self.execute("SELECT count(*) > 0 FROM pgbench_history")
        self.assertTrue(rows[0][0])

    def test_4_tpcb_prepared_clients_share_a_thread(self):
        # pgbench prepares a statement synchronously at its first execution, inside the
        # transaction, while the other clients of its thread wait: a Parse that waited for
        # another session's write lock (held by a client of the same thread) stalled them
        # all until the busy timeout, then failed ("database is locked").
        self.check_run("-M", "prepared", clients=8)

    def test_5_tpcb_32_writers(self):
        # 32 sessions queueing for the one write lock: SQLite's own busy handler backs off to
        # 100 ms polls, so a long waiter kept losing the lock to newcomers until its timeout
        # ("database is locked"); the engine's waiters are woken when a write ends.
        self.check_run("-M", "prepared", clients=32, seconds=8)


if __name__ == "__main__":
    client_case.main()
