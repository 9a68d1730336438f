"""Looking for secrets where they must never be: a server's logs and its data directory.

A password, a vault token or a temporary vault password that a test used must not appear,
as bytes, in any file the server wrote. Encrypted files pass by construction; a plaintext
file that holds one fails. Secrets shorter than MIN_SECRET_LENGTH are ignored (they would
match by chance in binary files); tests use long random ones.
"""

from collections.abc import Iterable
from pathlib import Path

MIN_SECRET_LENGTH = 8


class SecretSet:
    """The secrets one test handled. add() ignores short and duplicate values."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}  # value -> where it came from (never printed whole)

    def add(self, value: str | None, origin: str) -> None:
        if value and len(value) >= MIN_SECRET_LENGTH:
            self._secrets.setdefault(value, origin)

    def __len__(self) -> int:
        return len(self._secrets)

    def items(self) -> Iterable[tuple[str, str]]:
        return self._secrets.items()


def redact(secret: str) -> str:
    """How a report names a secret: its first three characters and its length."""
    return f"{secret[:3]}...({len(secret)} chars)"


def find_leaks(secrets: SecretSet, files: Iterable[Path]) -> list[str]:
    """One line per (secret, file) where the secret's UTF-8 bytes occur in the file."""
    leaks = []
    needles = [(value.encode(), value, origin) for value, origin in secrets.items()]
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for needle, value, origin in needles:
            offset = data.find(needle)
            if offset >= 0:
                leaks.append(f"{origin} {redact(value)} found in {path} at byte {offset}")
    return leaks
