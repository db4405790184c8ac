"""Streaming JSON for archive importers (ijson): one item at a time, any file size.

An event parser reads every repeat of a key (real Mastodon exports repeat
``orderedItems``), never holds the whole document, and its errors become an
``ImportFormatError`` that says how far into the file the problem is.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import ijson

from rapport.channels.importers.streams import CountingReader
from rapport.errors import ImportFormatError

#: No real export nests deeper than a dozen levels; hostile ones try thousands.
MAX_DEPTH = 64

#: What a broken archive member can raise while it is being read.
STREAM_ERRORS = (
    ijson.JSONError,
    EOFError,
    zlib.error,
    tarfile.TarError,
    OSError,
    UnicodeError,
    ValueError,
)


def iter_json_items(
    path: Path, stream: IO[bytes] | CountingReader, prefix: str, *, member: str = ""
) -> Iterator[Any]:
    """Yield each value at ``prefix`` (e.g. ``orderedItems.item``) of the JSON in ``stream``.

    Raises ``ImportFormatError`` when the JSON is malformed or truncated, or when
    the key that ``prefix`` starts with never appears (a different kind of file).
    """
    container = prefix.removesuffix("item").rstrip(".")
    where = f"{member} in the archive" if member else "the file"
    seen = False

    def watched() -> Iterator[tuple[str, str, Any]]:
        nonlocal seen
        depth = 0
        for event in ijson.parse(stream, use_float=True):
            kind = event[1]
            if kind in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:  # ijson's builder grows quadratically with depth
                    raise ImportFormatError(
                        str(path), f"JSON nested deeper than {MAX_DEPTH} levels in {where}"
                    )
                if not seen and kind == "start_array" and event[0] == container:
                    seen = True
            elif kind in ("end_map", "end_array"):
                depth -= 1
            yield event

    def offset() -> str:
        count = getattr(stream, "count", None)
        return f" near byte {count:,}" if isinstance(count, int) else ""

    try:
        yield from ijson.items(watched(), prefix)
    except ImportFormatError:
        raise
    except STREAM_ERRORS as exc:
        raise ImportFormatError(
            str(path), f"malformed or truncated JSON in {where}{offset()} ({_short(exc)})"
        ) from None
    if not seen:
        what = f"has no {container!r} list" if container else "is not a JSON list"
        raise ImportFormatError(str(path), f"{where} {what}: not the expected export")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def str_field(obj: Mapping[str, Any], key: str, default: str = "") -> str:
    """``obj[key]`` when it is a string; ``default`` when it is missing, ``null`` or not text."""
    value = obj.get(key)
    return value if isinstance(value, str) else default


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (``2024-03-01T12:00:00Z``, with or without fraction/offset) -> aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
