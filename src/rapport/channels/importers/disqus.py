"""Disqus XML export: threads (the pages comments hang on) and their posts.

The export lists every ``<thread dsq:id>`` first, then every ``<post dsq:id>``
pointing back with ``<thread dsq:id/>`` and, for replies, ``<parent dsq:id/>``.
Threads are remembered (id, link, title: small) and become posts only when a
comment refers to them, so the pages nobody commented on do not fill the desk.
Posts are streamed and dropped from the tree once read.

``isSpam`` and ``isDeleted`` are kept as hints (``platform_spam``,
``platform_trash``), never as verdicts. A comment is own when its author's
e-mail is a workspace member's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rapport.channels.importers.base import Importer
from rapport.channels.importers.streams import CountingReader, iterparse, local, open_binary
from rapport.channels.records import AuthorRecord, ItemRecord, PostRecord, Record, SkippedRecord
from rapport.errors import ImportFormatError
from rapport.hookspecs import hookimpl

DSQ_ID = "{http://disqus.com/disqus-internals}id"


class DisqusImporter(Importer):
    kind = "disqus"
    label = "Disqus export (.xml)"
    platform = "disqus"

    def __init__(self, path: Path, *, own_emails: frozenset[str] = frozenset()) -> None:
        super().__init__(path, own_emails=own_emails)
        self._forum: str | None = None
        self._reader: CountingReader | None = None

    def position(self) -> int:
        return self._reader.count if self._reader else 0

    def source(self) -> str:
        if self._forum is None:
            with open_binary(self.path) as raw:
                self._forum = _read_forum(self.path, raw)
        return f"disqus:{self._forum}"

    def records(self) -> Iterator[Record]:
        self.source()
        own = {e.lower() for e in self.own_emails}
        threads: dict[str, PostRecord] = {}
        emitted: set[str] = set()
        with open_binary(self.path) as raw:
            self._reader = CountingReader(raw)
            for _, elem in iterparse(self.path, self._reader, tag=("{*}thread", "{*}post")):
                parent = elem.getparent()
                if parent is None or local(parent.tag) != "disqus":
                    continue  # a <thread dsq:id/> reference inside a post
                if local(elem.tag) == "thread":
                    thread = _thread(elem)
                    if thread is not None:
                        threads[thread.source_id] = thread
                else:
                    thread_id = _ref(elem, "thread")
                    if thread_id in threads and thread_id not in emitted:
                        emitted.add(thread_id)
                        yield threads[thread_id]
                    yield _post(elem, threads.get(thread_id), thread_id, own)
                elem.clear()
                while elem.getprevious() is not None:
                    del parent[0]


def _fields(elem: Any) -> dict[str, Any]:
    return {local(child.tag): child for child in elem}


def _text(fields: dict[str, Any], name: str) -> str:
    child = fields.get(name)
    return (child.text or "").strip() if child is not None else ""


def _ref(elem: Any, name: str) -> str:
    for child in elem:
        if local(child.tag) == name:
            return (child.get(DSQ_ID) or "").strip()
    return ""


def _time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _thread(elem: Any) -> PostRecord | None:
    thread_id = (elem.get(DSQ_ID) or "").strip()
    if not thread_id:
        return None
    f = _fields(elem)
    return PostRecord(
        source_id=thread_id,
        title=_text(f, "title"),
        html=(f["message"].text or "") if "message" in f else "",
        url=_text(f, "link"),
        published_at=_time(_text(f, "createdAt")),
    )


def _post(elem: Any, thread: PostRecord | None, thread_id: str, own: set[str]) -> Record:
    post_id = (elem.get(DSQ_ID) or "").strip()
    if not post_id:
        return SkippedRecord(f"line {elem.sourceline}", "post without dsq:id")
    f = _fields(elem)
    created = _time(_text(f, "createdAt"))
    if created is None:
        return SkippedRecord(post_id, "post without a valid createdAt")
    author = _author(f.get("author"))
    signals: dict[str, Any] = {}
    if _text(f, "isSpam") == "true":
        signals["platform_spam"] = True
    if _text(f, "isDeleted") == "true":
        signals["platform_trash"] = True
    parent = _ref(elem, "parent")
    url = f"{thread.url}#comment-{post_id}" if thread and thread.url else ""
    return ItemRecord(
        source_id=post_id,
        created_at=created,
        author=author,
        html=(f["message"].text or "") if "message" in f else "",
        kind="reply" if parent else "comment",
        parent_source_id=parent,
        post_source_id=thread_id if thread else "",
        url=url,
        is_own=bool(author and author.email and author.email in own),
        signals=signals,
    )


def _author(elem: Any) -> AuthorRecord | None:
    if elem is None:
        return None
    f = _fields(elem)
    name, email, username = _text(f, "name"), _text(f, "email").lower(), _text(f, "username")
    if username and _text(f, "isAnonymous") != "true":
        key = f"user:{username}"
    elif email:
        key = email
    elif name:
        key = f"name:{name.lower()}"
    else:
        return None
    url = f"https://disqus.com/by/{username}/" if key.startswith("user:") else ""
    return AuthorRecord(platform="disqus", key=key, display_name=name, email=email, url=url)


def _read_forum(path: Path, raw: Any) -> str:
    for event, elem in iterparse(path, raw, events=("start", "end")):
        name = local(elem.tag)
        if event == "start" and elem.getparent() is None and name != "disqus":
            raise ImportFormatError(
                str(path),
                f"not a Disqus export: the root is <{name}>, not <disqus>",
                line=elem.sourceline,
            )
        if event == "end" and name == "forum" and (elem.text or "").strip():
            return (elem.text or "").strip()[:150]
        if event == "start" and name == "post" and elem.getparent().getparent() is None:
            break
    return path.name[:150]


@hookimpl
def register_importers(register: Any) -> None:
    register(DisqusImporter)
