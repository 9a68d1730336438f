"""Which statements of a .test file are vault statements (docs/sql-reference.md §1.2).

A Python reading of grammar::classify (grammar/classifier.cpp), from the leading keywords
only, for the runner's PostgreSQL-module mode: there a vault statement is not SQL the host
understands and goes through `dbvault.execute` (pgext_adapter.py). GRANT and REVOKE of
table privileges are the host's own statements there, so they are told apart here.
"""

import re

_TOKEN = re.compile(r'\s+|--[^\n]*|/\*.*?\*/|"(?:[^"]|"")*"|\w+|.', re.DOTALL)
_FIRST_WORDS = {"UNLOCK", "EMERGENCY", "APPROVE", "REJECT", "BACKUP", "RESTORE", "CONNECT"}
_SECOND_WORDS = {
    "CREATE": {"REALM", "COMMAND", "RULE", "USER", "ROLE", "MASTER", "TABLESPACE", "AUDIT"},
    "ALTER": {"REALM", "COMMAND", "DATABASE", "USER", "TABLESPACE"},
    "DROP": {"REALM", "COMMAND", "RULE", "USER", "ROLE", "AUDIT", "TABLESPACE"},
    "LOCK": {"REALM", "ALL"},
    "REVIEW": {"EMERGENCY"},
    "VERIFY": {"AUDIT"},
    "EXPLAIN": {"VAULT"},
}
_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "ALL"}


def words(sql: str, limit: int = 8) -> list[str]:
    """The first `limit` tokens of `sql`, comments and whitespace skipped, words upper-cased."""
    out = []
    for match in _TOKEN.finditer(sql):
        token = match.group(0)
        if token.isspace() or token.startswith(("--", "/*")):
            continue
        out.append(token.upper() if token[0] != '"' else token)
        if len(out) == limit:
            break
    return out


def is_table_privilege(sql: str) -> bool:
    """GRANT / REVOKE privilege [, ...] ON ...: PostgreSQL's own statement in the module."""
    w = words(sql)
    return len(w) > 1 and w[0] in ("GRANT", "REVOKE") and w[1] in _PRIVILEGES and "ON" in w


def is_vault_statement(sql: str) -> bool:
    """True when the dbvault server would route `sql` (one statement) to the vault.

    CREATE TABLE with ENCRYPTED columns or a TABLESPACE, and ALTER TABLE ... MASKING /
    ENCRYPTED / ROTATE, are vault statements too; the module has no such storage, so they
    are left to PostgreSQL (which refuses them) rather than guessed at here.
    """
    w = words(sql, 2)
    if not w:
        return False
    if w[0] in _FIRST_WORDS:
        return True
    if w[0] in ("GRANT", "REVOKE"):
        return not is_table_privilege(sql)
    return len(w) > 1 and w[1] in _SECOND_WORDS.get(w[0], ())
