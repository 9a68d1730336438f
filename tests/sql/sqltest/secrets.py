"""Which values of a .test file are secrets that the server must never write down.

- string literals after PASSWORD (login, realm and temporary vault passwords, right or wrong)
  and after UNLOCK REALM r TOKEN (tokens presented);
- values of result columns named `password` or `token` (what GRANT VAULT PASSWORD and
  UNLOCK REALM return);
- login passwords (the init accounts, `connect ... password=`, CREATE/ALTER USER).
Public ids (token_id, password_id, request_id) are not secrets.
"""

import re

from harness import SecretSet

_LITERAL = r"'((?:[^']|'')*)'"
_SECRET_LITERALS = [
    re.compile(r"\bPASSWORD\s+" + _LITERAL, re.IGNORECASE),
    re.compile(r"\bUNLOCK\s+REALM\s+\S+\s+TOKEN\s+" + _LITERAL, re.IGNORECASE),
]
_USER_PASSWORD = re.compile(
    r"\b(?:CREATE|ALTER)\s+USER\s+(\"(?:[^\"]|\"\")+\"|[^\s\"]+)\s+(?:WITH\s+)?PASSWORD\s+"
    + _LITERAL, re.IGNORECASE)
SECRET_COLUMNS = ("password", "token")


def _unquote_literal(text: str) -> str:
    return text.replace("''", "'")


def collect_from_sql(sql: str, found: SecretSet) -> None:
    for pattern in _SECRET_LITERALS:
        for match in pattern.finditer(sql):
            found.add(_unquote_literal(match.group(1)), "a secret literal in SQL")


def collect_from_result(cursor, found: SecretSet) -> None:
    """Adds the secret columns' values; reads the rows without consuming them."""
    if cursor.description is None:
        return
    indexes = [i for i, c in enumerate(cursor.description) if c.name in SECRET_COLUMNS]
    if not indexes:
        return
    rows = cursor.fetchall()
    for row in rows:
        for i in indexes:
            if isinstance(row[i], str):
                found.add(row[i], f"a {cursor.description[i].name} the server returned")
    cursor.scroll(0, mode="absolute")


def remember_user_password(sql: str, passwords: dict[str, str], found: SecretSet) -> None:
    """After a successful CREATE/ALTER USER, connect NAME user=U needs no password=."""
    for match in _USER_PASSWORD.finditer(sql):
        name = match.group(1)
        name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
        passwords[name] = _unquote_literal(match.group(2))
        found.add(passwords[name], f"login password of {name}")
