#!/usr/bin/python3
"""Attack 15 / surface 2: ReadPin. Is the pinned read transaction ever left open (a later
statement of the session, or its next check, reading an older snapshot than the data the
other sessions committed)? And can a statement the pin applies to write?

PASS = each session sees the other's commits, and no write through a read-only SELECT.
"""

from attack15_common import Hole, ServerCase, ext_query, main, simple, wire_client


class Pin(ServerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.execute("CREATE TABLE pub (id INTEGER PRIMARY KEY, v TEXT)",
                    "INSERT INTO pub VALUES (1, 'v0')",
                    "CREATE TABLE sec (id INTEGER PRIMARY KEY, s TEXT)",
                    "INSERT INTO sec VALUES (1, 'a15-pin-secret')")
        cls.execute("CREATE REALM a15p REQUIRE VAULT PASSWORD 'a15-pin-pw-1'", user="secadmin")
        cls.execute("ALTER REALM a15p ADD TABLE sec", user="secadmin")

    def test_refused_select_leaves_no_snapshot(self):
        a = wire_client(self)
        got, codes = simple(a, "SELECT s FROM sec")  # pinned, then refused by the vault
        print("  refused:", got, codes)
        got, codes = ext_query(a, "SELECT s FROM sec")
        print("  refused (extended):", got, codes)
        self.execute("UPDATE pub SET v = 'v1'")
        got, _ = simple(a, "SELECT v FROM pub")
        print("  A after B's commit:", got)
        if got != [["v1"]]:
            raise Hole(f"A reads a stale snapshot after a refused pinned SELECT: {got}")

    def test_described_unexecuted_portal(self):
        # A Describe steps a pinned SELECT; the portal stays open (its own read transaction).
        from attack15_common import x
        a = wire_client(self)
        a.send(x.parse("", "SELECT v FROM pub") + x.bind("p1", "") + x.describe("P", "p1") +
               x.sync())
        a.read_until("Z", raise_errors=False)
        self.execute("UPDATE pub SET v = 'v2'")
        got, _ = ext_query(a, "SELECT v FROM pub WHERE id = 1")
        print("  A with an open portal, after B's commit:", got)
        # PostgreSQL semantics: the unnamed Sync ends the implicit transaction; a named portal
        # outside a transaction block is closed at Sync too.
        if got != [["v2"]]:
            raise Hole(f"stale snapshot while a described portal is open: {got}")

    def test_select_cannot_write(self):
        a = wire_client(self)
        for q in ("SELECT * FROM (DELETE FROM pub RETURNING id)",
                  "WITH d AS (DELETE FROM pub RETURNING id) SELECT * FROM d",
                  "SELECT 1 FROM pub WHERE (SELECT count(*) FROM pub) > 0",
                  "SELECT pg_advisory_unlock_all()"):
            got, codes = simple(a, q)
            print(f"  {q!r}: {got} {codes}")
        got = self.execute("SELECT count(*) FROM pub")
        if got != [(1,)]:
            raise Hole(f"a SELECT-classified statement wrote: {got}")


if __name__ == "__main__":
    main()
