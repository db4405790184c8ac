"""Keys for the workspace-wide duplicate index.

Each item with enough text gets one exact key (a hash of its normalised words,
links and handles removed, so a bot that rotates its link still matches) and
``BANDS`` MinHash band keys over word trigrams (a band matches when its
``ROWS`` minimum hashes agree, i.e. likely for Jaccard similarity above ~0.7).
Keys are signed 64-bit integers for a ``BigIntegerField``; hashing uses
blake2b/crc32, never Python's per-process ``hash``, so every worker agrees.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

import numpy as np

from rapport.triage import cues, text

MIN_WORDS = 5
MIN_CHARS = 25
BANDS = 4
ROWS = 4
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.RandomState(20261123)
_A = _rng.randint(1, 1 << 31, size=BANDS * ROWS).astype(np.uint64)
_B = _rng.randint(0, 1 << 31, size=BANDS * ROWS).astype(np.uint64)


@dataclass(frozen=True, slots=True)
class Keys:
    exact: int
    bands: tuple[int, ...]


def words_for(raw: str) -> list[str]:
    """The words compared for duplicates: no links, no handles, lower case."""
    return cues.tokens(text.strip_noise(text.clean(raw)))


def _int64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


def keys_for(words: list[str]) -> Keys | None:
    """The item's keys, or None when the text is too short to call a duplicate."""
    if len(words) < MIN_WORDS:
        return None
    norm = " ".join(words)
    if len(norm) < MIN_CHARS:
        return None
    exact = _int64(b"x" + norm.encode("utf-8", "surrogatepass"))
    shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    hashes = np.fromiter(
        (zlib.crc32(s.encode("utf-8", "surrogatepass")) for s in shingles),
        dtype=np.uint64,
        count=len(shingles),
    )
    signature = ((hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME).min(axis=0)
    bands = tuple(
        _int64(bytes([band]) + signature[band * ROWS : (band + 1) * ROWS].tobytes())
        for band in range(BANDS)
    )
    return Keys(exact, bands)
