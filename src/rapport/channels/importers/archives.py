"""Read members of an export however it arrives: tar(.gz), zip, a folder or one file.

Members are streamed (never extracted to disk, so hostile paths in the archive
do not matter) and found by their base name or a pattern. Any failure to open
or read the container becomes an ``ImportFormatError`` naming the file.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rapport.channels.importers.streams import CountingReader
from rapport.errors import ImportFormatError

CONTAINER_ERRORS = (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


class ArchiveReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader: CountingReader | None = None
        self._names: list[str] | None = None
        self.bare = False

    # -- what is inside -------------------------------------------------------------
    def names(self) -> list[str]:
        """Member paths (``/``-separated), in archive order."""
        if self._names is None:
            self._names = self._list()
        return self._names

    def _list(self) -> list[str]:
        path = self.path
        try:
            if path.is_dir():
                return sorted(
                    p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()
                )
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as zf:
                    return [i.filename for i in zf.infolist() if not i.is_dir()]
            if _looks_like_tar(path):
                with tarfile.open(path, "r:*") as tar:
                    return [m.name for m in tar if m.isfile()]
        except CONTAINER_ERRORS as exc:
            raise ImportFormatError(str(path), f"not a readable archive ({exc})") from None
        self.bare = True  # one member given on its own (outbox.json, tweets.js, an upload)
        return [path.name]

    def find(self, pattern: str) -> list[str]:
        """Members whose base name matches ``pattern`` (a regex), shallowest first.

        A bare file stands for whatever member is asked for: an upload arrives
        under a temporary name.
        """
        names = self.names()
        if self.bare:
            return names
        rx = re.compile(pattern)
        found = [n for n in names if rx.fullmatch(n.rpartition("/")[2])]
        return sorted(found, key=lambda n: (n.count("/"), n))

    def member(self, basename: str) -> str:
        found = self.find(re.escape(basename))
        if not found:
            raise ImportFormatError(str(self.path), f"no {basename} in this export")
        return found[0]

    # -- reading --------------------------------------------------------------------
    @contextmanager
    def open(self, name: str, *, exact: bool = False) -> Iterator[CountingReader]:
        """Stream the member ``name`` (a base name unless ``exact``), counting bytes."""
        member = name if exact else self.member(name)
        try:
            with self._open_raw(member) as raw:
                self._reader = CountingReader(raw)
                yield self._reader
        except ImportFormatError:
            raise
        except CONTAINER_ERRORS as exc:
            raise ImportFormatError(
                str(self.path), f"cannot read {member} in this export ({exc})"
            ) from None

    @contextmanager
    def _open_raw(self, member: str) -> Iterator[IO[bytes]]:
        path = self.path
        handle: IO[bytes]
        if path.is_dir():
            with (path / member).open("rb") as handle:
                yield handle
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf, zf.open(member) as handle:
                yield handle
        elif _looks_like_tar(path):
            with tarfile.open(path, "r:*") as tar:
                extracted = tar.extractfile(member)
                if extracted is None:
                    raise ImportFormatError(str(path), f"{member} is not a file")
                with extracted:
                    yield extracted
        else:
            with path.open("rb") as handle:
                yield handle

    def read_small(self, basename: str, limit: int) -> bytes | None:
        """The whole member if it exists and is at most ``limit`` bytes, else None."""
        if not self.find(re.escape(basename)) or self.bare:
            return None
        with self.open(basename) as stream:
            data = stream.read(limit + 1)
        return data if len(data) <= limit else None

    def position(self) -> int:
        return self._reader.count if self._reader else 0

    def size_hint(self, basename: str) -> int | None:
        try:
            member = self.find(re.escape(basename))
            if not member:
                return None
            if self.path.is_dir():
                return (self.path / member[0]).stat().st_size
            if zipfile.is_zipfile(self.path):
                with zipfile.ZipFile(self.path) as zf:
                    return zf.getinfo(member[0]).file_size
            if _looks_like_tar(self.path):
                with tarfile.open(self.path, "r:*") as tar:
                    return tar.getmember(member[0]).size
            return self.path.stat().st_size
        except (ImportFormatError, *CONTAINER_ERRORS, KeyError):
            return None


def _looks_like_tar(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(262)
    except OSError:
        return False
    return head[:2] == b"\x1f\x8b" or head[257:262] == b"ustar"
