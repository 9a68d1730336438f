#!/usr/bin/python3
"""attack5: the data directory at rest, while the server runs and after it stopped.

Rows of the engine database, of a tablespace and of a masked column, the login password, the
realm password, a vault token and a temporary vault password are written through the wire;
then every file of the work directory (logs included) is scanned for them as UTF-8, UTF-16 and
hex. None may be found: pages are encrypted, secrets are stored as hashes only. The policy
store's object names (realm, table, column) are a known plaintext gap being closed elsewhere:
they are reported, not failed on.
"""

import secrets

from attack5_common import find_markers, main


def marker(tag: str) -> str:
    return f"MK{tag}{secrets.token_hex(6)}"


def test(s) -> None:
    rows = {"row": marker("ROW"), "tablespace row": marker("TSROW"), "masked row": marker("MASK")}
    secret = {"login password": marker("LOGINPW"), "realm password": marker("REALMPW")}
    names = {"realm": marker("realm").lower(), "table": marker("table").lower(),
             "column": marker("col").lower()}
    realm, table, column = names["realm"], names["table"], names["column"]
    s.ok("dba", f"CREATE USER alice PASSWORD '{secret['login password']}'")
    s.ok("secadmin", "CREATE TABLESPACE ts ENCRYPTION USING 'AES256'")
    s.ok("dba", f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {column} TEXT, plain TEXT)")
    s.ok("dba", f"INSERT INTO {table} VALUES (1, '{rows['masked row']}', '{rows['row']}')")
    s.ok("dba", "CREATE TABLE tst (id INTEGER PRIMARY KEY, v TEXT) TABLESPACE ts")
    s.ok("dba", f"INSERT INTO tst VALUES (1, '{rows['tablespace row']}')")
    s.ok("secadmin", f"CREATE REALM {realm} REQUIRE VAULT PASSWORD '{secret['realm password']}'")
    s.ok("secadmin", f"ALTER REALM {realm} ADD TABLE {table}")
    s.ok("secadmin", f"ALTER REALM {realm} ADD TABLE ts.tst")
    s.ok("secadmin", f"ALTER TABLE {table} ALTER COLUMN {column} SET MASKING PARTIAL")
    unlocked = s.ok("dba", f"UNLOCK REALM {realm} PASSWORD '{secret['realm password']}'")
    secret["vault token"] = unlocked[0][1]
    granted = s.ok("secadmin", f"GRANT VAULT PASSWORD ON REALM {realm} TO dba "
                               "VALID FOR INTERVAL '2 hours'")
    secret["temporary vault password"] = granted[0][2]
    assert s.ok("dba", f"SELECT plain FROM {table}") == [(rows["row"],)]
    assert s.ok("dba", "SELECT v FROM tst") == [(rows["tablespace row"],)]
    for when in ("running", "stopped"):
        if when == "stopped":
            s.close()
            assert s.server.stop() == 0
        leaks = find_markers({**rows, **secret}, s.server.workdir)
        assert not leaks, f"{when}: found in the work directory: {leaks}"
        gap = find_markers(names, s.server.workdir)
        if gap:
            print(f"known gap ({when}, the policy store's names in plaintext): {gap}")


if __name__ == "__main__":
    main(test)
