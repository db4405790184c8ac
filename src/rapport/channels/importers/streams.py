"""Shared plumbing for importers: counted reads, safe XML streaming, error mapping.

Every archive is hostile until parsed: the XML parser resolves no entities,
loads no DTD and reaches no network, and any parser failure becomes an
``ImportFormatError`` that names the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree

from rapport.errors import ImportFormatError


class CountingReader:
    """A binary file wrapper that counts bytes read, for progress bars."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def close(self) -> None:
        self.raw.close()


def iterparse(
    path: Path, reader: IO[bytes] | CountingReader, **kwargs: Any
) -> Iterator[tuple[str, Any]]:
    """``lxml.etree.iterparse`` with safe options; parser errors name file and line.

    Blank lines before ``<?xml`` (a classic of WordPress plugins that print a
    newline) are skipped instead of failing the whole import.
    """
    source = _SkipLeadingSpace(reader)
    events = etree.iterparse(
        source,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        **kwargs,
    )
    try:
        yield from events
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        line = line + source.lines_skipped if line else line
        raise ImportFormatError(str(path), _reason(exc), line=line) from None
    except (etree.LxmlError, UnicodeError, ValueError) as exc:
        raise ImportFormatError(str(path), f"unreadable XML ({exc})") from None


class _SkipLeadingSpace:
    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.started = False
        self.lines_skipped = 0

    def read(self, size: int = -1) -> bytes:
        data = bytes(self.raw.read(size))
        while not self.started and data:
            stripped = data.lstrip(b" \t\r\n")
            self.lines_skipped += data.count(b"\n", 0, len(data) - len(stripped))
            if stripped:
                self.started = True
                return stripped
            data = bytes(self.raw.read(size))
        return data


def _reason(exc: etree.XMLSyntaxError) -> str:
    msg = str(exc.msg or exc).split(", line ")[0].strip()
    if any(s in msg for s in ("Document is empty", "Start tag expected", "no element found")):
        return f"not an XML file ({msg})"
    if "Premature end of data" in msg or "EndTag" in msg or "end of data" in msg:
        return f"the file is truncated or malformed ({msg})"
    return f"malformed XML ({msg})"


def open_binary(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ImportFormatError(str(path), f"cannot read the file ({exc.strerror})") from None


def local(tag: object) -> str:
    """``{namespace}name`` -> ``name``; comments and other odd nodes -> ``""``."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def text_of(elem: Any) -> str:
    return (elem.text or "").strip() if elem is not None else ""


def parse_sql_datetime(value: str) -> datetime | None:
    """``2024-03-01 12:00:00`` (UTC) -> aware datetime; ``0000-00-00 ...`` or junk -> None."""
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
