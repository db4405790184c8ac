"""Near-duplicates across the whole workspace, one batch at a time.

The index lives in :class:`~rapport.triage.models.TextFingerprint` rows, so a
batch costs one indexed ``key IN (...)`` query and one bulk insert, memory
stays bounded by the batch, and every worker sees the same index. An item is a
duplicate when an *earlier* item (by ``created_at``, then id) has the same
exact key, or shares at least two of the MinHash band keys.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from rapport.triage.fingerprints import Keys, keys_for, words_for
from rapport.triage.types import SeenBefore

NEAR_BANDS = 2


@dataclass(frozen=True, slots=True)
class Entry:
    item_id: int
    author_id: int | None
    created_at: datetime
    text: str


@dataclass(slots=True)
class _Hit:
    item_id: int
    author_id: int | None
    created_at: datetime
    exact: bool
    bands: int = 0


def _earlier(hit: _Hit, entry: Entry) -> bool:
    return (hit.created_at, hit.item_id) < (entry.created_at, entry.item_id)


def check_and_index(*, workspace_id: int, entries: list[Entry]) -> dict[int, SeenBefore]:
    """Return what each entry duplicates (if anything) and add the entries to the index."""
    from rapport.triage.models import TextFingerprint  # here: MemoryIndex needs no Django

    keyed: list[tuple[Entry, Keys]] = []
    for entry in entries:
        keys = keys_for(words_for(entry.text))
        if keys is not None:
            keyed.append((entry, keys))
    if not keyed:
        return {}
    wanted = {k for _, keys in keyed for k in (keys.exact, *keys.bands)}
    ids = [entry.item_id for entry, _ in keyed]
    by_key: dict[int, list[_Hit]] = defaultdict(list)
    rows = TextFingerprint.objects.filter(workspace_id=workspace_id, key__in=wanted).exclude(
        item_id__in=ids
    )
    for item_id, key, exact, author_id, created_at in rows.values_list(
        "item_id", "key", "exact", "author_id", "created_at"
    ).iterator(chunk_size=2000):
        by_key[key].append(_Hit(item_id, author_id, created_at, exact))
    for entry, keys in keyed:  # the batch itself is part of the index
        by_key[keys.exact].append(_Hit(entry.item_id, entry.author_id, entry.created_at, True))
        for band in keys.bands:
            by_key[band].append(_Hit(entry.item_id, entry.author_id, entry.created_at, False))
    found: dict[int, SeenBefore] = {}
    for entry, keys in keyed:
        hit = _best_hit(entry, keys, by_key)
        if hit is not None:
            found[entry.item_id] = SeenBefore(
                seconds_earlier=(entry.created_at - hit.created_at).total_seconds(),
                same_author=entry.author_id is not None and hit.author_id == entry.author_id,
                exact=hit.exact,
            )
    TextFingerprint.objects.filter(workspace_id=workspace_id, item_id__in=ids).delete()
    TextFingerprint.objects.bulk_create(
        [
            TextFingerprint(
                workspace_id=workspace_id,
                item_id=entry.item_id,
                key=key,
                exact=key == keys.exact,
                author_id=entry.author_id,
                created_at=entry.created_at,
            )
            for entry, keys in keyed
            for key in (keys.exact, *keys.bands)
        ],
        batch_size=1000,
    )
    return found


def _best_hit(entry: Entry, keys: Keys, by_key: dict[int, list[_Hit]]) -> _Hit | None:
    exact = [h for h in by_key.get(keys.exact, ()) if h.exact and _earlier(h, entry)]
    if exact:
        return min(exact, key=lambda h: (h.created_at, h.item_id))
    counts: dict[int, _Hit] = {}
    for band in keys.bands:
        for h in by_key.get(band, ()):
            if not h.exact and _earlier(h, entry):
                seen = counts.setdefault(
                    h.item_id, _Hit(h.item_id, h.author_id, h.created_at, False)
                )
                seen.bands += 1
    near = [h for h in counts.values() if h.bands >= NEAR_BANDS]
    return min(near, key=lambda h: (h.created_at, h.item_id)) if near else None


class MemoryIndex:
    """The same duplicate rule over an in-memory index, for benchmarks and files.

    ``bench/triage_youtube.py`` has no database rows to index; feeding its items
    through this class in arrival order gives each one the ``seen_before`` that
    :func:`check_and_index` would give it in a workspace (same keys, same
    "earlier exact copy, else two shared bands" rule). Memory grows with the
    items added: meant for thousands of items, not a workspace's history.
    """

    def __init__(self) -> None:
        self._by_key: dict[int, list[_Hit]] = defaultdict(list)

    def check_and_add(self, entry: Entry) -> SeenBefore | None:
        keys = keys_for(words_for(entry.text))
        if keys is None:
            return None
        hit = _best_hit(entry, keys, self._by_key)
        self._by_key[keys.exact].append(
            _Hit(entry.item_id, entry.author_id, entry.created_at, True)
        )
        for band in keys.bands:
            self._by_key[band].append(_Hit(entry.item_id, entry.author_id, entry.created_at, False))
        if hit is None:
            return None
        return SeenBefore(
            seconds_earlier=(entry.created_at - hit.created_at).total_seconds(),
            same_author=entry.author_id is not None and hit.author_id == entry.author_id,
            exact=hit.exact,
        )
