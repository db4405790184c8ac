"""Bluesky repository export (``.car``, the bytes of ``com.atproto.sync.getRepo``).

A repo holds the owner's records keyed ``collection/rkey`` in a Merkle search
tree (MST). Two streaming passes keep memory to the size of the tree, not of
the content: the first keeps only MST nodes (to learn which block is which
record), the second decodes the records and yields them.

- Posts without ``reply`` become posts; replies become own items, threaded when
  the parent is the owner's own (else ``signals["in_reply_to"]`` keeps its URI).
- The owner's likes and reposts become signals (``like``/``boost``) whose author
  is the owner: reports can tell given from received by ``person.is_self``.
- Follows, blocks, profiles and other records are skipped with a reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rapport.channels.importers.base import Importer
from rapport.channels.importers.car import CarReader
from rapport.channels.importers.jsonstream import parse_time, str_field
from rapport.channels.importers.streams import CountingReader, open_binary
from rapport.channels.records import (
    AuthorRecord,
    ItemRecord,
    PostRecord,
    Record,
    SignalRecord,
    SkippedRecord,
)
from rapport.errors import ImportFormatError
from rapport.hookspecs import hookimpl
from rapport.inbox.sanitize import plain_text_to_html

POST, LIKE, REPOST, PROFILE = (
    "app.bsky.feed.post",
    "app.bsky.feed.like",
    "app.bsky.feed.repost",
    "app.bsky.actor.profile",
)


class BlueskyImporter(Importer):
    kind = "bluesky"
    label = "Bluesky repository export (.car)"
    platform = "bluesky"

    def __init__(self, path: Path, *, own_emails: frozenset[str] = frozenset()) -> None:
        super().__init__(path, own_emails=own_emails)
        self._index: RepoIndex | None = None
        self._reader: CountingReader | None = None

    def position(self) -> int:
        return self._reader.count if self._reader else 0

    def index(self) -> RepoIndex:
        if self._index is None:
            with open_binary(self.path) as raw:
                self._index = RepoIndex.read(self.path, raw)
        return self._index

    def source(self) -> str:
        return f"bluesky:{self.index().did}"

    def records(self) -> Iterator[Record]:
        index = self.index()
        owner = AuthorRecord(
            platform="bluesky",
            key=index.did,
            display_name=index.display_name,
            url=f"https://bsky.app/profile/{index.did}",
        )
        with open_binary(self.path) as raw:
            self._reader = CountingReader(raw)
            car = CarReader(self.path, self._reader)  # type: ignore[arg-type]
            car.read_header()
            for cid, block in car.blocks():
                key = index.keys.get(cid)
                if key is None:
                    continue
                collection, _, rkey = key.partition("/")
                uri = f"at://{index.did}/{key}"
                value = car.decode(block)
                yield _record(collection, rkey, uri, value, owner, index)


class RepoIndex:
    """Pass one: the repo's DID, its MST (CID -> record key) and the top-level posts."""

    def __init__(self, did: str, keys: dict[bytes, str], display_name: str) -> None:
        self.did = did
        self.keys = keys
        self.display_name = display_name
        self.posts: set[str] = set()  # URIs of top-level posts, filled on the way

    @classmethod
    def read(cls, path: Path, raw: Any) -> RepoIndex:
        car = CarReader(path, raw)
        car.read_header()
        nodes: dict[bytes, dict[str, Any]] = {}
        commit: dict[str, Any] | None = None
        top_level: set[bytes] = set()
        profile: dict[bytes, str] = {}
        for cid, block in car.blocks():
            value = car.decode(block)
            if not isinstance(value, dict):
                continue
            if cid == car.roots[0]:
                commit = value
            elif "e" in value and "l" in value:
                nodes[cid] = value
            elif value.get("$type") == POST and "reply" not in value:
                top_level.add(cid)
            elif value.get("$type") == PROFILE and isinstance(value.get("displayName"), str):
                profile[cid] = value["displayName"]
        if commit is None or not isinstance(commit.get("did"), str):
            raise ImportFormatError(str(path), "not a Bluesky repository: no commit with a DID")
        if not isinstance(commit.get("data"), bytes) or commit["data"] not in nodes:
            raise ImportFormatError(str(path), "not a complete Bluesky repository: no record tree")
        keys = _walk(nodes, commit["data"], path)
        name = next((n for cid, n in profile.items() if keys.get(cid) == PROFILE + "/self"), "")
        index = cls(commit["did"], keys, name[:200])
        index.posts = {f"at://{index.did}/{keys[cid]}" for cid in top_level if cid in keys}
        return index


def _walk(nodes: dict[bytes, dict[str, Any]], root: bytes, path: Path) -> dict[bytes, str]:
    """Record CID -> ``collection/rkey`` for every entry of the tree (iterative)."""
    keys: dict[bytes, str] = {}
    todo, seen = [root], set()
    while todo:
        cid = todo.pop()
        if cid in seen:
            raise ImportFormatError(str(path), "a loop in the repository's record tree")
        seen.add(cid)
        node = nodes.get(cid)
        if node is None:
            raise ImportFormatError(str(path), "the repository's record tree is incomplete")
        if isinstance(node.get("l"), bytes):
            todo.append(node["l"])
        previous = b""
        entries = node.get("e")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            prefix, suffix = entry.get("p"), entry.get("k")
            if not isinstance(prefix, int) or not isinstance(suffix, bytes):
                raise ImportFormatError(str(path), "a malformed entry in the record tree")
            key = previous[:prefix] + suffix
            previous = key
            if isinstance(entry.get("v"), bytes):
                keys[entry["v"]] = key.decode("utf-8", "replace")
            if isinstance(entry.get("t"), bytes):
                todo.append(entry["t"])
    return keys


def _ref_uri(value: Any, name: str) -> str:
    ref = value.get(name) if isinstance(value, dict) else None
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return uri if isinstance(uri, str) else ""


def _record(
    collection: str, rkey: str, uri: str, value: Any, owner: AuthorRecord, index: RepoIndex
) -> Record:
    if not isinstance(value, dict):
        return SkippedRecord(uri, "a record that is not an object")
    created = parse_time(value.get("createdAt"))
    if collection in (LIKE, REPOST):
        subject = _ref_uri(value, "subject")
        if created is None or not subject:
            return SkippedRecord(uri, f"a {collection.rpartition('.')[2]} without subject or date")
        return SignalRecord(
            source_id=uri,
            kind="like" if collection == LIKE else "boost",
            created_at=created,
            author=owner,
            post_source_id=subject,
        )
    if collection != POST:
        return SkippedRecord(uri, f"{collection} records are not messages")
    if created is None:
        return SkippedRecord(uri, "a post without a valid createdAt")
    text = str_field(value, "text")
    url = f"https://bsky.app/profile/{index.did}/post/{rkey}"
    parent = _ref_uri(value.get("reply"), "parent")
    if not isinstance(value.get("reply"), dict):
        return PostRecord(
            source_id=uri, html=plain_text_to_html(text), url=url, published_at=created
        )
    signals: dict[str, Any] = {}
    parent_id = post_id = ""
    if parent in index.posts:
        post_id = parent
    elif parent.startswith(f"at://{index.did}/"):
        parent_id = parent
    elif parent:
        signals["in_reply_to"] = parent[:500]
    return ItemRecord(
        source_id=uri,
        created_at=created,
        author=owner,
        text=text,
        kind="reply",
        parent_source_id=parent_id,
        post_source_id=post_id,
        url=url,
        is_own=True,
        signals=signals,
    )


@hookimpl
def register_importers(register: Any) -> None:
    register(BlueskyImporter)
