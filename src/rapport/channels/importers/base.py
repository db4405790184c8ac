"""The importer interface: stream records out of one archive file or folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from rapport.channels.records import Record


class Importer:
    kind: ClassVar[str]
    label: ClassVar[str] = ""
    platform: ClassVar[str] = ""

    def __init__(self, path: Path, *, own_emails: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.own_emails = own_emails

    def source(self) -> str:
        """The ``Item.source`` value; stable across re-imports of the same archive."""
        raise NotImplementedError

    def records(self) -> Iterator[Record]:
        """Yield records in an order where parents come before children when the
        archive allows; raise ``ImportFormatError`` on malformed input."""
        raise NotImplementedError

    def size_hint(self) -> int | None:
        """Bytes to read, for a progress bar."""
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def position(self) -> int:
        """Bytes read so far, for a progress bar."""
        return 0
