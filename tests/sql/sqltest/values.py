"""How result values are written in .test files, and how a result is compared with them.

Values come from psycopg2, which decodes them by the type OID the server sent, so a
column's type letter checks the server's RowDescription as well as the value:
  I  an integer (int2/int4/int8)          T  anything, as text
  R  a number, printed with 3 decimals     B  a boolean (true / false)
  ?  anything
NULL prints as NULL, the empty string as (empty), bytes as \\x followed by hex digits.
"""

import datetime
import decimal


def format_value(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | decimal.Decimal):
        return f"{value:.3f}"
    if isinstance(value, memoryview | bytes | bytearray):
        return "\\x" + bytes(value).hex()
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    text = str(value)
    return text if text else "(empty)"


def type_mismatch(letter: str, value) -> str | None:
    """Why `value` does not fit the column type `letter`, or None when it does."""
    if value is None or letter in "T?":
        return None
    fits = {
        "I": isinstance(value, int) and not isinstance(value, bool),
        "R": isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool),
        "B": isinstance(value, bool),
    }[letter]
    return None if fits else f"expected type {letter}, got {type(value).__name__} {value!r}"


def format_rows(rows: list[tuple], sort: str) -> list[str]:
    """Rows as .test result lines (values joined by tabs), sorted as the query record asks."""
    cells = [[format_value(v) for v in row] for row in rows]
    if sort == "rowsort":
        cells.sort()
    elif sort == "valuesort":
        cells = [[v] for v in sorted(v for row in cells for v in row)]
    return ["\t".join(row) for row in cells]


def normalize_expected(lines: list[str], sort: str) -> list[str]:
    """Expected lines sorted the same way as format_rows sorts results."""
    rows = [line.split("\t") for line in lines]
    if sort == "rowsort":
        rows.sort()
    elif sort == "valuesort":
        rows = [[v] for v in sorted(v for row in rows for v in row)]
    return ["\t".join(row) for row in rows]
