#!/usr/bin/python3
"""attack8: two VAULT_ADMIN sessions racing for one tablespace name (docs/sql-reference.md §2.1:
"42710 ... for the loser of two concurrent CREATE REALMs of one realm or tablespace name").

Each round, two sessions start at once: CREATE REALM ra TABLESPACE x and CREATE REALM rb
TABLESPACE x (or, in odd rounds, CREATE TABLESPACE x plainly). Exactly one wins; the loser gets
42710 and leaves nothing behind (its realm does not exist); the tablespace is the winner's (a
table the DBA creates in it joins the winning realm, or no realm when the plain CREATE
TABLESPACE won).

HOLE observed on main (f6d36e3), in most realm-vs-plain rounds: the loser's CREATE TABLESPACE
(storage host, server/runtime/services.cpp create_tablespace) finds the name not yet in the
catalog, takes the winner's freshly made TEK for "a key left by an older DROP", destroys it
(gate_.destroy) and makes a new one, then fails on the winner's file (42710 "the file ... exists
already"). The winner's statement answered ok, but its file is sealed under a destroyed key: every
session's attach fails ("page 1 failed authentication"), the DBA's CREATE TABLE in it is 42501,
and DROP TABLESPACE fails ("the key does not decrypt it") — the name is bricked for good. In
plain-vs-plain rounds the loser sometimes gets 42704 `no encryption key for scope` instead of
42710. Correct behaviour: the loser gets 42710 and touches neither the winner's key nor its file;
the winner's tablespace works.

Second race (test_drop_racing_the_first_create): DROP TABLESPACE x (VAULT_ADMIN) against the
DBA's first CREATE TABLE ... TABLESPACE x. HOLE observed: the drop wins (the table was not yet
committed in the file), the DBA gets 42704 `tablespace "x" does not exist` (or 58030 disk I/O
error), and `data/ts_x.db-tde` is left behind: CREATE TABLESPACE x is refused from then on (42710
"the file ... exists already (left by an interrupted DROP TABLESPACE?)"), although the binding
promises that x created again is the realm's again. Correct behaviour: whichever wins, the name
can be created again after the drop (or the drop is refused with 55000 because the table exists).
"""

import threading

import psycopg2

import client_case

ROUNDS = 6  # one tablespace per round; a connection attaches at most 10 (attack8/attached_limit)
DROP_ROUNDS = 3


class RealmRace(client_case.ServerCase):
    def setUp(self) -> None:
        self.require_dbvault()

    def race(self, statements: list[str]) -> list[str | None]:
        connections = [self.connect("secadmin") for _ in statements]
        barrier = threading.Barrier(len(statements))
        outcome: list[str | None] = [None] * len(statements)

        def run(i: int) -> None:
            barrier.wait()
            try:
                with connections[i].cursor() as c:
                    c.execute(statements[i])
                outcome[i] = "ok"
            except psycopg2.Error as e:
                outcome[i] = f"{e.pgcode} {e.pgerror.strip().splitlines()[0] if e.pgerror else e}"

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(statements))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return outcome

    def realms(self) -> set[str]:
        return {r[0] for r in self.execute("SELECT realm FROM vault.realms", user="auditor")}

    def test_drop_racing_the_first_create(self) -> None:
        for i in range(DROP_ROUNDS):
            ts = f"rd8_ts{i}"
            self.execute(f"CREATE REALM rd8_r{i} TABLESPACE {ts}", user="secadmin")
            sec, dba = self.connect("secadmin"), self.connect("dba")
            with dba.cursor() as c:
                c.execute("SELECT 1")  # attached before the race
            barrier = threading.Barrier(2)
            outcome: list[str | None] = [None, None]
            statements = [(sec, f"DROP TABLESPACE {ts}"),
                          (dba, f"CREATE TABLE rd8_t{i} (id INTEGER PRIMARY KEY) TABLESPACE {ts}")]

            def run(k: int) -> None:
                barrier.wait()
                try:
                    with statements[k][0].cursor() as c:
                        c.execute(statements[k][1])
                    outcome[k] = "ok"
                except psycopg2.Error as e:
                    outcome[k] = f"{e.pgcode} {str(e).splitlines()[0]}"

            threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if outcome[0] == "ok":
                try:
                    self.execute(f"CREATE TABLESPACE {ts} ENCRYPTION USING 'AES256'",
                                 user="secadmin")
                except psycopg2.Error as e:
                    self.fail(f"round {i} {outcome}: after the drop, {ts} cannot be created "
                              f"again: {e.pgcode} {e}")
            else:
                # The create came first: the drop is refused, as not empty (55000) or, when the
                # create's policy change withdrew the key the drop was released, 58000.
                self.assertTrue(outcome[0].startswith(("55000", "58000")), f"round {i}: {outcome}")
                self.assertEqual(outcome[1], "ok", f"round {i}: {outcome}")

    def test_one_winner_and_a_clean_loser(self) -> None:
        for i in range(ROUNDS):
            ts = f"rr8_ts{i}"
            ra, rb = f"rr8_a{i}", f"rr8_b{i}"
            plain = i % 2 == 1
            second = (f"CREATE TABLESPACE {ts} ENCRYPTION USING 'AES256'" if plain
                      else f"CREATE REALM {rb} TABLESPACE {ts}")
            outcome = self.race([f"CREATE REALM {ra} TABLESPACE {ts}", second])
            winners = [k for k, o in enumerate(outcome) if o == "ok"]
            self.assertEqual(len(winners), 1, f"round {i}: {outcome}")
            loser = outcome[1 - winners[0]]
            self.assertTrue(loser.startswith("42710"), f"round {i}: loser got {loser}")
            realms = self.realms()
            if winners[0] == 0:
                owner = ra
                self.assertIn(ra, realms)
                self.assertNotIn(rb, realms, f"round {i}: the losing realm was left behind")
            else:
                owner = None if plain else rb
                self.assertNotIn(ra, realms, f"round {i}: the losing realm was left behind")
                if not plain:
                    self.assertIn(rb, realms)
            try:
                self.execute(f"CREATE TABLE rr8_t{i} (id INTEGER PRIMARY KEY) TABLESPACE {ts}")
            except psycopg2.Error as e:
                self.fail(f"round {i} {outcome}: the winner's tablespace {ts} is unusable: "
                          f"{e.pgcode} {e}")
            joined = self.execute("SELECT realm FROM vault.realm_objects WHERE object = %s",
                                  user="auditor", params=(f"{ts}.rr8_t{i}",))
            self.assertEqual(joined, [(owner,)] if owner else [], f"round {i}: {outcome}")


if __name__ == "__main__":
    client_case.main()
