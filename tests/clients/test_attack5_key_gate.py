#!/usr/bin/python3
"""attack5: a tablespace's key reaches a session's connection only while the vault admits it.

A session connected after the tablespace's only table joined a realm keeps asking for the
table (plain and qualified names, count(*), a subquery) while the key is rotated
twice; the audit log must show no key_access of the tablespace's scope for its session id
until it unlocks the realm, none again after LOCK REALM and after its token expired (each
rotation makes a new version, so a release would be a new record), and every one of its
statements on the table is refused meanwhile.
"""

import time

from attack5_common import main

REALM_PW = "Gate-realm-pass-9871"
READS = ["SELECT count(*) FROM t", "SELECT v FROM t", "SELECT v FROM ts.t",
         "SELECT (SELECT max(v) FROM t)", "SELECT * FROM t"]


def releases(s, session_id: str) -> list[int]:
    """The versions of tablespace:ts released to the session, in audit order."""
    rows = s.ok("auditor", "SELECT session_id, detail FROM vault.audit_log "
                           "WHERE event_type = 'key_access' ORDER BY seq")
    return [int(detail.split('"version":')[1].rstrip("}")) for sid, detail in rows
            if sid == session_id and '"scope":"tablespace:ts"' in detail]


def rotate(s) -> None:
    s.ok("secadmin", "ALTER TABLESPACE ts ROTATE ENCRYPTION KEY")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [row[6] for row in s.ok("auditor", "SELECT * FROM vault.encryption_progress")]
        if states and all(state in ("done", "failed") for state in states):
            assert "failed" not in states, states
            return
        time.sleep(0.1)
    raise AssertionError("the rotation did not finish")


def all_refused(s, name: str) -> None:
    for sql in READS:
        s.refused(name, sql, "42501")


def test(s) -> None:
    s.ok("secadmin", "CREATE TABLESPACE ts ENCRYPTION USING 'AES256'")
    s.ok("dba", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT) TABLESPACE ts")
    s.ok("dba", "INSERT INTO t VALUES (1, 'gated')")
    s.ok("secadmin", f"CREATE REALM r REQUIRE VAULT PASSWORD '{REALM_PW}'")
    s.ok("secadmin", "ALTER REALM r ADD TABLE ts.t")
    s.connect("eve", "dba")
    all_refused(s, "eve")
    rotate(s)
    all_refused(s, "eve")
    s.ok("eve", f"UNLOCK REALM r PASSWORD '{REALM_PW}'")
    assert s.ok("eve", "SELECT v FROM t") == [("gated",)]
    rows = s.ok("auditor", "SELECT session_id FROM vault.audit_log "
                           "WHERE event_type = 'vault_unlock' ORDER BY seq")
    sid = rows[-1][0]  # eve's: the only session that unlocked so far
    assert releases(s, sid) == [2], releases(s, sid)  # v1 never, v2 once unlocked
    s.ok("eve", "LOCK REALM r")
    all_refused(s, "eve")
    rotate(s)
    all_refused(s, "eve")
    assert releases(s, sid) == [2], releases(s, sid)
    # Unlocked again, then the token expires: refused, and the next version is not released.
    s.ok("eve", f"UNLOCK REALM r PASSWORD '{REALM_PW}'")
    assert s.ok("eve", "SELECT v FROM t") == [("gated",)]
    assert releases(s, sid) == [2, 3], releases(s, sid)
    s.server.advance_clock(3 * 3600)  # tokens live 1 hour
    all_refused(s, "eve")
    rotate(s)
    all_refused(s, "eve")
    assert releases(s, sid) == [2, 3], releases(s, sid)
    # An authorized session still reads every committed row after three rotations.
    s.ok("dba", f"UNLOCK REALM r PASSWORD '{REALM_PW}'")
    assert s.ok("dba", "SELECT v FROM t") == [("gated",)]


if __name__ == "__main__":
    main(test)
