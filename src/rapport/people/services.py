"""Writes for people and identities: every author becomes an identity of a person.

Ingest resolves authors a batch at a time (one query for the batch, one insert
for the new ones), so importing a million comments costs a few thousand queries,
not millions. The cache is bounded: a long import keeps the most recent authors
and asks the database again for the rest.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache

from django.db import connection

from rapport.accounts.models import Workspace
from rapport.channels.records import AuthorRecord
from rapport.inbox.bulk import FastInsert, reserve_ids
from rapport.inbox.sanitize import safe_url
from rapport.people.models import Identity, Person

AuthorKey = tuple[str, str]


def author_key(author: AuthorRecord) -> AuthorKey:
    return (author.platform[:40], author.key[:300])


class IdentityResolver:
    """Maps authors to ``(identity_id, person_id)`` for one workspace, in bulk.

    ``resolve(authors, own=...)`` creates what is new (a ``Person`` per new
    identity; ``is_self`` when the author is one of the workspace's own
    accounts) and marks existing people ``is_self`` when they turn out to be own.
    """

    def __init__(self, *, workspace: Workspace, cache_size: int = 50_000) -> None:
        self.workspace = workspace
        self.cache_size = cache_size
        self._cache: OrderedDict[AuthorKey, tuple[int, int]] = OrderedDict()
        self._self_people: set[int] = set()

    def resolve(
        self, authors: Iterable[AuthorRecord], *, own: Iterable[AuthorKey] = ()
    ) -> dict[AuthorKey, tuple[int, int]]:
        wanted: dict[AuthorKey, AuthorRecord] = {}
        for author in authors:
            wanted.setdefault(author_key(author), author)
        found: dict[AuthorKey, tuple[int, int]] = {}
        missing = [key for key in wanted if key not in self._cache]
        for key in wanted.keys() - set(missing):
            self._cache.move_to_end(key)
            found[key] = self._cache[key]
        if missing:
            found.update(self._load(missing))
            new = [wanted[key] for key in missing if key not in found]
            own_set = set(own)
            found.update(self._create(new, own_set))
        self._mark_self({found[key][1] for key in own if key in found})
        for key in missing:
            if key in found:
                self._remember(key, found[key])
        return found

    def _remember(self, key: AuthorKey, value: tuple[int, int]) -> None:
        self._cache[key] = value
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _load(self, keys: list[AuthorKey]) -> dict[AuthorKey, tuple[int, int]]:
        """Existing identities for these keys, in plain SQL (the ORM's per-value
        preparation of ``IN`` lists cost more than the query on a long import)."""
        by_platform: dict[str, list[str]] = {}
        for platform, key in keys:
            by_platform.setdefault(platform, []).append(key)
        quote = connection.ops.quote_name
        table, key_column = quote(Identity._meta.db_table), quote("key")
        found: dict[AuthorKey, tuple[int, int]] = {}
        with connection.cursor() as cursor:
            for platform, platform_keys in by_platform.items():
                for start in range(0, len(platform_keys), 500):
                    part = platform_keys[start : start + 500]
                    cursor.execute(
                        f"SELECT {key_column}, id, person_id FROM {table} WHERE workspace_id = %s "
                        f"AND platform = %s AND {key_column} IN ({', '.join(['%s'] * len(part))})",
                        [self.workspace.pk, platform, *part],
                    )
                    for key, identity_id, person_id in cursor.fetchall():
                        found[(platform, key)] = (identity_id, person_id)
        return found

    def _create(
        self, authors: list[AuthorRecord], own: set[AuthorKey]
    ) -> dict[AuthorKey, tuple[int, int]]:
        if not authors:
            return {}
        person_ids = reserve_ids(Person, len(authors))
        identity_ids = reserve_ids(Identity, len(authors))
        ws = self.workspace.pk
        _insert_people().insert(
            [
                (pk, ws, (a.display_name or a.key)[:200], author_key(a) in own)
                for a, pk in zip(authors, person_ids, strict=True)
            ]
        )
        _insert_identities().insert(
            [
                (
                    pk,
                    ws,
                    person,
                    a.platform[:40],
                    a.key[:300],
                    a.display_name[:200],
                    a.email[:254],
                    safe_url(a.url, max_length=500),
                )
                for a, pk, person in zip(authors, identity_ids, person_ids, strict=True)
            ]
        )
        self._self_people.update(
            person for a, person in zip(authors, person_ids, strict=True) if author_key(a) in own
        )
        return {
            author_key(a): (identity, person)
            for a, person, identity in zip(authors, person_ids, identity_ids, strict=True)
        }

    def _mark_self(self, person_ids: set[int]) -> None:
        todo = person_ids - self._self_people
        if todo:
            Person.objects.filter(pk__in=todo, is_self=False).update(is_self=True)
            self._self_people.update(todo)


@cache
def _insert_people() -> FastInsert:
    return FastInsert(Person, ("workspace_id", "display_name", "is_self"))


@cache
def _insert_identities() -> FastInsert:
    return FastInsert(
        Identity, ("workspace_id", "person_id", "platform", "key", "display_name", "email", "url")
    )


def record_interactions(stats: Mapping[int, tuple[int, datetime]]) -> None:
    """Add ``count`` interactions to each person and move ``last_interaction_at`` forward.

    ``stats`` maps person id to (new items, newest item time). One statement per
    batch, so the counts stay right however the import is split.
    """
    if not stats:
        return
    table = connection.ops.quote_name(Person._meta.db_table)
    adapt = FastInsert.adapter(Person._meta.get_field("last_interaction_at")) or (lambda v: v)
    sql = (
        f"UPDATE {table} SET interactions = interactions + %s, "
        "last_interaction_at = CASE WHEN last_interaction_at IS NULL "
        "OR last_interaction_at < %s THEN %s ELSE last_interaction_at END WHERE id = %s"
    )
    params = []
    for person_id, (count, newest) in stats.items():
        value = adapt(newest)
        params.append((count, value, value, person_id))
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
