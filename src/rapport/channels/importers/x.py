"""X (Twitter) archive: the owner's tweets and replies from ``data/tweets.js``.

Accepts the archive ``.zip``, its unpacked folder, or a bare ``tweets.js``.
Each ``tweets.js`` / ``tweets-partN.js`` (older archives: ``tweet.js``) is
JavaScript, ``window.YTD.tweets.part0 = [...]``: the assignment is skipped and
the array streamed with ijson, one tweet at a time. Ids and counts are strings.

As with Mastodon, everything is the owner's: tweets become posts, replies
become own items (threaded when the tweet answered is in the archive, else the
address is kept in ``signals["in_reply_to"]``), retweets are skipped with a
reason. ``t.co`` links are expanded from the tweet's entities.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rapport.channels.importers.archives import ArchiveReader
from rapport.channels.importers.base import Importer
from rapport.channels.importers.jsonstream import iter_json_items
from rapport.channels.records import AuthorRecord, ItemRecord, PostRecord, Record, SkippedRecord
from rapport.errors import ImportFormatError
from rapport.hookspecs import hookimpl
from rapport.inbox.sanitize import plain_text_to_html

TWEET_FILES = r"tweets?(-part\d+)?\.js"
MAX_ACCOUNT_BYTES = 1024 * 1024


class XImporter(Importer):
    kind = "x"
    label = "X / Twitter archive (.zip or tweets.js)"
    platform = "x"

    def __init__(self, path: Path, *, own_emails: frozenset[str] = frozenset()) -> None:
        super().__init__(path, own_emails=own_emails)
        self.archive = ArchiveReader(path)
        self._owner: AuthorRecord | None = None
        self._done = 0

    def position(self) -> int:
        return self._done + self.archive.position()

    def size_hint(self) -> int | None:
        sizes = [self.archive.size_hint(name.rpartition("/")[2]) for name in self._parts()]
        return sum(s for s in sizes if s) or None

    def _parts(self) -> list[str]:
        parts = self.archive.find(TWEET_FILES)
        if not parts:
            raise ImportFormatError(str(self.path), "no data/tweets.js in this archive")
        return sorted(parts, key=lambda n: int(re.sub(r"\D", "", n.rpartition("/")[2]) or 0))

    def owner(self) -> AuthorRecord:
        if self._owner is None:
            raw = self.archive.read_small("account.js", MAX_ACCOUNT_BYTES)
            self._owner = _owner(raw) or AuthorRecord(platform="x", key=self.path.stem[:100])
        return self._owner

    def source(self) -> str:
        return f"x:{self.owner().key}"

    def records(self) -> Iterator[Record]:
        owner = self.owner()
        username = owner.url.rpartition("/")[2]
        seen_posts: set[str] = set()
        seen_items: set[str] = set()
        for part in self._parts():
            with self.archive.open(part, exact=True) as stream:
                body = _after_assignment(self.path, stream, part)
                for entry in iter_json_items(self.path, body, "item", member=part):
                    record = _record(entry, owner, username, seen_posts, seen_items)
                    if isinstance(record, PostRecord):
                        seen_posts.add(record.source_id)
                    elif isinstance(record, ItemRecord):
                        seen_items.add(record.source_id)
                    yield record
                self._done += stream.count


class _Body:
    """The stream after ``window.YTD.tweets.part0 =``, without a trailing ``;``.

    The last few bytes are held back until the end is reached, so a closing
    semicolon can be dropped without reading the file twice.
    """

    def __init__(self, stream: Any, head: bytes) -> None:
        self.stream, self.pending, self.ended = stream, head, False

    @property
    def count(self) -> int:
        return int(self.stream.count)

    def read(self, size: int = -1) -> bytes:
        while not self.ended and (size < 0 or len(self.pending) < size + 16):
            chunk = self.stream.read(65536 if size < 0 else max(size, 65536))
            if not chunk:
                self.ended = True
                self.pending = self.pending.rstrip(b" \t\r\n;")
            self.pending += chunk
        if self.ended:
            n = len(self.pending) if size < 0 else size
        else:
            n = max(0, min(size, len(self.pending) - 16))
        data, self.pending = self.pending[:n], self.pending[n:]
        return bytes(data)


def _after_assignment(path: Path, stream: Any, member: str) -> IO[bytes]:
    head = stream.read(4096)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return _Body(stream, stripped)  # type: ignore[return-value]
    match = re.match(rb"\s*window\.YTD\.[\w.]+\s*=\s*", stripped)
    if match is None:
        raise ImportFormatError(str(path), f"{member} is not an X archive file (window.YTD...)")
    return _Body(stream, stripped[match.end() :])  # type: ignore[return-value]


def _owner(raw: bytes | None) -> AuthorRecord | None:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text[text.index("=") + 1 :] if "=" in text.split("[", 1)[0] else text)
        account = data[0]["account"]
        username, account_id = str(account["username"]), str(account.get("accountId") or "")
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        return None
    return AuthorRecord(
        platform="x",
        key=account_id or username.lower(),
        display_name=str(account.get("accountDisplayName") or username)[:200],
        url=f"https://x.com/{username}",
    )


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def _text(tweet: dict[str, Any]) -> str:
    text = tweet.get("full_text") or tweet.get("text") or ""
    if not isinstance(text, str):
        return ""
    urls = (
        (tweet.get("entities") or {}).get("urls") if isinstance(tweet.get("entities"), dict) else []
    )
    for url in urls if isinstance(urls, list) else []:
        if isinstance(url, dict) and isinstance(url.get("url"), str):
            expanded = url.get("expanded_url")
            if isinstance(expanded, str) and expanded.startswith(("http://", "https://")):
                text = text.replace(url["url"], expanded)
    return html.unescape(text)


def _record(
    entry: Any, owner: AuthorRecord, username: str, seen_posts: set[str], seen_items: set[str]
) -> Record:
    tweet = entry.get("tweet", entry) if isinstance(entry, dict) else None
    if not isinstance(tweet, dict):
        return SkippedRecord("?", "an entry that is not a tweet")
    tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
    if not tweet_id.isdigit():
        return SkippedRecord(tweet_id[:300] or "?", "a tweet without an id")
    created = _time(tweet.get("created_at"))
    if created is None:
        return SkippedRecord(tweet_id, "a tweet without a valid date")
    text = _text(tweet)
    if text.startswith("RT @"):
        return SkippedRecord(tweet_id, "a retweet of another account's post")
    url = f"https://x.com/{username or 'i/web'}/status/{tweet_id}"
    reply_to = str(
        tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id") or ""
    )
    if not reply_to:
        return PostRecord(
            source_id=tweet_id, html=plain_text_to_html(text), url=url, published_at=created
        )
    signals: dict[str, Any] = {}
    parent = post = ""
    if reply_to in seen_items:
        parent = reply_to
    elif reply_to in seen_posts:
        post = reply_to
    else:
        screen_name = str(tweet.get("in_reply_to_screen_name") or "i/web")[:50]
        signals["in_reply_to"] = f"https://x.com/{screen_name}/status/{reply_to[:30]}"
    return ItemRecord(
        source_id=tweet_id,
        created_at=created,
        author=owner,
        text=text,
        kind="reply",
        parent_source_id=parent,
        post_source_id=post,
        url=url,
        is_own=True,
        signals=signals,
    )


@hookimpl
def register_importers(register: Any) -> None:
    register(XImporter)
