"""Bluesky rich text: grapheme counting and facets for links and @mentions.

Bluesky limits a post to 300 graphemes (user-perceived characters: an emoji
with a skin tone or a flag is one), counted with the ``regex`` package's
``\\X``. Links and mentions are not parsed from the text by the network:
the post carries *facets*, each a UTF-8 **byte** range of the text and a
feature (``#link`` with its URI, ``#mention`` with the account's DID).

    text:   "Hi @ana.bsky.social 👋 https://shop.example/rye"
    facets: bytes 3..19  -> mention did:plc:...   (resolved from the handle)
            bytes 25..49 -> link https://shop.example/rye

A handle that does not resolve stays plain text (Bluesky's own app does the
same); trailing punctuation is not part of a link, and a closing parenthesis
only when the link opened one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

_GRAPHEME = regex.compile(r"\X")
# Bluesky's own detection (packages/api/src/rich-text/util.ts), on str offsets.
_MENTION = re.compile(
    r"(?:^|(?<=[\s(\[]))@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_URL = re.compile(r"(?:^|(?<=[\s(\[]))(https?://[^\s<>\"'`]+)", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"


def grapheme_length(text: str) -> int:
    """How Bluesky counts a post's length (graphemes, not code points or bytes)."""
    return len(_GRAPHEME.findall(text))


@dataclass(frozen=True, slots=True)
class Facet:
    byte_start: int
    byte_end: int
    kind: str  # LINK or MENTION
    value: str  # the URI, or the DID

    def as_json(self) -> dict[str, object]:
        feature: dict[str, object] = {"$type": self.kind}
        feature["uri" if self.kind == LINK else "did"] = self.value
        return {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
            "features": [feature],
        }


def _trim_url(url: str) -> str:
    while url and url[-1] in _TRAILING:
        url = url[:-1]
    if url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return url


def _bytes(text: str, start: int, end: int) -> tuple[int, int]:
    head = len(text[:start].encode("utf-8"))
    return head, head + len(text[start:end].encode("utf-8"))


def facets(text: str, resolve: Callable[[str], str | None]) -> list[Facet]:
    """Link and mention facets of ``text``; ``resolve(handle)`` returns a DID or None."""
    found: list[Facet] = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group(1))
        if len(url) <= len("https://"):
            continue
        start, end = _bytes(text, match.start(1), match.start(1) + len(url))
        found.append(Facet(start, end, LINK, url))
    for match in _MENTION.finditer(text):
        handle = match.group(1).lower()
        did = resolve(handle)
        if not did:
            continue
        start, end = _bytes(text, match.start(), match.end())
        if any(f.byte_start < end and start < f.byte_end for f in found):
            continue  # "@" inside a link
        found.append(Facet(start, end, MENTION, did))
    return sorted(found, key=lambda f: f.byte_start)
