"""Running a .test file's statements on PostgreSQL 15 with the dbvault module (`pgext`).

The files are written for dbvault's SQL surface; inside PostgreSQL the same vault is reached
through the module's functions (docs/postgresql.md §3). This adapter maps one onto the other,
statement by statement, so that one file runs on both engines:

- a vault statement (vault_statements.is_vault_statement) is sent as
  `SELECT tag, result FROM dbvault.execute($dbvault$...$dbvault$)`, and its rows (one JSON
  object per row) come back as a result set with the statement's own column names, so that
  `let token from token` and the secret scan see what they see on dbvault;
- the host side of an account statement, which dbvault does itself and PostgreSQL leaves to
  its administrator: after the vault's CREATE USER / ALTER USER ... PASSWORD / DROP USER /
  CREATE ROLE / DROP ROLE / GRANT role / REVOKE role succeeded, the same change is made to
  PostgreSQL's roles as the cluster's superuser (the vault's DBA is the PostgreSQL role `dba`,
  which owns the tables: a vault DBA is a member of it, as dbvault's DBA holds every SQL
  privilege);
- `vault.audit_log` is `dbvault.audit_log` (the same columns the files use).

Everything else is sent as written: GRANT / REVOKE of table privileges are PostgreSQL's own
statements there (its ACL is the RBAC step). Nothing here parses SQL beyond leading words.
"""

import re

from .vault_statements import is_vault_statement, words

_DOLLAR_TAG = "$dbvault$"
_VAULT_VIEW = re.compile(r"\bvault\.(audit_log|realms|tokens|emergency_unlocks)\b", re.IGNORECASE)
_NAME = r'("(?:[^"]|"")+"|\w+)'
_LITERAL = r"'((?:[^']|'')*)'"
_USER_PASSWORD = re.compile(
    r"^\s*(CREATE|ALTER)\s+USER\s+" + _NAME + r"\s+(?:WITH\s+)?PASSWORD\s+" + _LITERAL,
    re.IGNORECASE)
_DROP = re.compile(r"^\s*DROP\s+(USER|ROLE)\s+(?:IF\s+EXISTS\s+)?" + _NAME + r"\s*;?\s*$",
                   re.IGNORECASE)
_CREATE_ROLE = re.compile(r"^\s*CREATE\s+ROLE\s+" + _NAME + r"\s*;?\s*$", re.IGNORECASE)
_ROLE_GRANT = re.compile(r"^\s*(GRANT|REVOKE)\s+" + _NAME + r"\s+(TO|FROM)\s+" + _NAME
                         + r"\s*;?\s*$", re.IGNORECASE)
# The vault's built-in roles and the PostgreSQL role that stands for each on the host: DBA is
# `dba` (the tables' owner); the others carry no SQL privilege in PostgreSQL.
_HOST_ROLE = {"dba": "dba", "vault_admin": None, "audit_viewer": None, "account_manager": None}


class VaultResult:
    """The rows of dbvault.execute() shaped like a psycopg2 cursor: description (with .name),
    rowcount, fetchall() and scroll(), which is what the runner and secrets.py use."""

    class Column:
        def __init__(self, name: str):
            self.name = name

    def __init__(self, rows: list[tuple[str, dict | None]]):
        objects = [r for _, r in rows if r is not None]
        names: list[str] = []
        for row in objects:
            names += [k for k in row if k not in names]
        self.description = [self.Column(n) for n in names] if objects else None
        self._rows = [tuple(_text(row.get(n)) for n in names) for row in objects]
        self.rowcount = len(self._rows) if objects else -1
        self._at = 0

    def fetchall(self) -> list[tuple]:
        rows, self._at = self._rows[self._at:], len(self._rows)
        return rows

    def scroll(self, value: int, mode: str = "relative") -> None:
        self._at = value if mode == "absolute" else self._at + value


class PgextAdapter:
    """Runs statements for a pgext_cluster.PgextServer (psql_admin: the superuser's psql)."""

    def __init__(self, server):
        self.server = server

    def execute(self, connection, sql: str):
        """Runs `sql` on `connection`; returns a cursor (or VaultResult). Raises psycopg2.Error
        for the statement's own error, RuntimeError when the host side could not be made."""
        cursor = connection.cursor()
        if not is_vault_statement(sql):
            cursor.execute(_VAULT_VIEW.sub(r"dbvault.\1", sql))
            return cursor
        if _DOLLAR_TAG in sql:
            raise RuntimeError(f"a vault statement may not contain {_DOLLAR_TAG}")
        cursor.execute(f"SELECT tag, result FROM dbvault.execute({_DOLLAR_TAG}{sql}"
                       f"{_DOLLAR_TAG})")
        result = VaultResult(cursor.fetchall())
        self._host_side(sql)
        return result

    def _host_side(self, sql: str) -> None:
        statement = self._host_statement(sql)
        if statement:
            try:
                self.server.psql_admin(self.server.dbname, statement, quiet=True)
            except Exception as error:  # harness.ServerError: its text may hold the password
                raise RuntimeError(f"the PostgreSQL side of `{' '.join(words(sql, 3))} ...` "
                                   f"failed ({type(error).__name__})") from None

    @staticmethod
    def _host_statement(sql: str) -> str | None:
        """The PostgreSQL statement that mirrors the vault's account statement `sql`, if any.

        DROP USER leaves a role that still holds privileges (which a realm table's privileges
        cannot lose without the realm's consent) as NOLOGIN, and CREATE USER of such a name
        gives it a login again.
        """
        if m := _USER_PASSWORD.match(sql):
            name, password = m.group(2), m.group(3)
            if m.group(1).upper() == "ALTER":
                return f"ALTER ROLE {name} PASSWORD '{password}'"
            return (f"DO $$BEGIN CREATE ROLE {name} LOGIN PASSWORD '{password}'; EXCEPTION "
                    f"WHEN duplicate_object THEN ALTER ROLE {name} LOGIN PASSWORD "
                    f"'{password}'; END$$")
        if m := _DROP.match(sql):
            name = m.group(2)
            return (f"DO $$BEGIN DROP ROLE IF EXISTS {name}; EXCEPTION WHEN "
                    f"dependent_objects_still_exist THEN ALTER ROLE {name} NOLOGIN; END$$")
        if m := _CREATE_ROLE.match(sql):
            return f"CREATE ROLE {m.group(1)}"
        if m := _ROLE_GRANT.match(sql):
            role = m.group(2)
            host = _HOST_ROLE.get(role.lower(), role) if not role.startswith('"') else role
            return f"{m.group(1)} {host} {m.group(3)} {m.group(4)}" if host else None
        return None


def _text(value) -> str | None:
    """A JSON value as the text a dbvault result column carries."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
