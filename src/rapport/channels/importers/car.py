"""Stream the blocks of a CAR file (content-addressed archive, as a Bluesky repo export).

A CAR v1 file is a varint-prefixed DAG-CBOR header ``{"roots": [...], "version": 1}``
followed by sections ``varint(len) CID bytes``. Blocks are read one at a time,
so a repository of any size is never held in memory; DAG-CBOR is decoded with
``libipld`` (the decoder the ``atproto`` package uses). Anything that does not
parse is an ``ImportFormatError`` with the byte offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import libipld

from rapport.errors import ImportFormatError

MAX_BLOCK = 2 * 1024 * 1024  # the PDS refuses records far smaller than this
MAX_HEADER = 64 * 1024


class CarReader:
    def __init__(self, path: Path, stream: IO[bytes]) -> None:
        self.path = path
        self.stream = stream
        self.offset = 0
        self.roots: list[bytes] = []

    def fail(self, reason: str) -> ImportFormatError:
        return ImportFormatError(str(self.path), f"{reason} (at byte {self.offset:,})")

    def _read(self, size: int) -> bytes:
        data = self.stream.read(size)
        if len(data) != size:
            raise self.fail("the CAR file is truncated")
        self.offset += size
        return data

    def _varint(self, *, eof_ok: bool = False) -> int | None:
        value = shift = 0
        for _ in range(10):
            byte = self.stream.read(1)
            if not byte:
                if eof_ok and shift == 0:
                    return None
                raise self.fail("the CAR file is truncated")
            self.offset += 1
            value |= (byte[0] & 0x7F) << shift
            if byte[0] < 0x80:
                return value
            shift += 7
        raise self.fail("a malformed length in the CAR file")

    def read_header(self) -> None:
        size = self._varint(eof_ok=True)
        if size is None or size == 0 or size > MAX_HEADER:
            raise self.fail("not a CAR file (no header)")
        try:
            header = _decode(self._read(size))
        except ImportFormatError:
            raise self.fail("not a CAR file (the header is not DAG-CBOR)") from None
        if not isinstance(header, dict) or header.get("version") != 1:
            raise self.fail("not a CAR v1 file")
        roots = header.get("roots")
        if not isinstance(roots, list) or not roots or not isinstance(roots[0], bytes):
            raise self.fail("a CAR file without a root")
        self.roots = [r for r in roots if isinstance(r, bytes)]

    def blocks(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(cid_bytes, raw_block)`` for every section after the header."""
        while True:
            size = self._varint(eof_ok=True)
            if size is None:
                return
            if size > MAX_BLOCK + 64:
                raise self.fail(f"a block of {size:,} bytes is too large")
            section = self._read(size)
            cid_len = _cid_length(section)
            if cid_len is None or cid_len >= len(section):
                raise self.fail("a malformed CID in the CAR file")
            yield bytes(section[:cid_len]), bytes(section[cid_len:])

    def decode(self, raw: bytes) -> Any:
        try:
            return _decode(raw)
        except ImportFormatError:
            raise self.fail("a block that is not valid DAG-CBOR") from None


def _decode(raw: bytes) -> Any:
    try:
        return libipld.decode_dag_cbor(raw)
    except Exception as exc:  # a Rust decoder over hostile bytes: any failure is a bad file
        raise ImportFormatError("", f"invalid DAG-CBOR ({exc})") from None


def _cid_length(data: bytes) -> int | None:
    """Length of the binary CID at the start of ``data`` (v0 or v1)."""
    if data[:2] == b"\x12\x20":
        return 34
    pos = 0
    for _ in range(3):  # version, codec, multihash code
        after = _skip_varint(data, pos)
        if after is None:
            return None
        pos = after
    length_start = pos
    value = shift = 0
    while pos < len(data) and pos - length_start < 10:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return pos + value
        shift += 7
    return None


def _skip_varint(data: bytes, pos: int) -> int | None:
    for i in range(pos, min(pos + 10, len(data))):
        if data[i] < 0x80:
            return i + 1
    return None
