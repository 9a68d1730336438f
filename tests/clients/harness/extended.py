"""Frontend messages of the extended query protocol, built byte for byte (wire.message
frames them). Formats: 0 text, 1 binary."""

import struct

from .wire import message


def _cstr(text: str) -> bytes:
    return text.encode() + b"\0"


def parse(name: str, sql: str, param_oids: tuple[int, ...] = ()) -> bytes:
    return message(b"P", _cstr(name) + _cstr(sql) + struct.pack(f"!H{len(param_oids)}I",
                                                               len(param_oids), *param_oids))


def bind(portal: str, statement: str, params: tuple[bytes | None, ...] = (),
         param_formats: tuple[int, ...] = (), result_formats: tuple[int, ...] = ()) -> bytes:
    body = _cstr(portal) + _cstr(statement)
    body += struct.pack(f"!H{len(param_formats)}H", len(param_formats), *param_formats)
    body += struct.pack("!H", len(params))
    for value in params:
        body += struct.pack("!i", -1) if value is None else struct.pack("!I", len(value)) + value
    body += struct.pack(f"!H{len(result_formats)}H", len(result_formats), *result_formats)
    return message(b"B", body)


def describe(kind: str, name: str) -> bytes:
    """kind 'S' (statement) or 'P' (portal)."""
    return message(b"D", kind.encode() + _cstr(name))


def execute(portal: str, max_rows: int = 0) -> bytes:
    return message(b"E", _cstr(portal) + struct.pack("!I", max_rows))


def close(kind: str, name: str) -> bytes:
    return message(b"C", kind.encode() + _cstr(name))


def sync() -> bytes:
    return message(b"S")


def flush() -> bytes:
    return message(b"H")


def parameter_oids(payload: bytes) -> list[int]:
    """The OIDs of a ParameterDescription."""
    count = struct.unpack("!H", payload[:2])[0]
    return list(struct.unpack(f"!{count}I", payload[2:2 + 4 * count]))


def row_description(payload: bytes) -> list[tuple[str, int, int]]:
    """(name, type OID, format) per column of a RowDescription."""
    count = struct.unpack("!H", payload[:2])[0]
    columns, pos = [], 2
    for _ in range(count):
        end = payload.index(b"\0", pos)
        name = payload[pos:end].decode()
        _table, _attr, oid, _size, _mod, fmt = struct.unpack("!IHIhiH", payload[end + 1:end + 19])
        columns.append((name, oid, fmt))
        pos = end + 19
    return columns
