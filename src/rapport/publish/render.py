"""Markdown once, a variant per channel: HTML for feeds, plain text for the rest.

Variants are rendered at compose time and stored on each delivery, so what the
preview shows is exactly what the channel gets. Links can be swapped for
tracked ``/l/<code>`` links through ``link_map`` (original URL → tracked URL).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token


@dataclass(frozen=True, slots=True)
class Variant:
    text: str
    html: str


def _md() -> MarkdownIt:
    # "js-default" escapes raw HTML in the Markdown: an editor cannot inject script.
    return MarkdownIt("js-default", {"linkify": False, "typographer": False})


def links_in(markdown: str) -> list[str]:
    """Every http(s) link target in ``markdown``, in order, without repeats."""
    found: list[str] = []
    for token in _md().parse(markdown):
        for child in token.children or []:
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            if href.startswith(("http://", "https://")) and href not in found:
                found.append(href)
    return found


def _swap_links(tokens: list[Token], link_map: Mapping[str, str]) -> None:
    for token in tokens:
        for child in token.children or []:
            href = child.attrGet("href") if child.type == "link_open" else None
            if isinstance(href, str) and href in link_map:
                child.attrSet("href", link_map[href])


def _inline_text(children: list[Token]) -> str:
    out: list[str] = []
    href_stack: list[str] = []
    start_stack: list[int] = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(child.content or "")
        elif child.type == "link_open":
            href_stack.append(str(child.attrGet("href") or ""))
            start_stack.append(len(out))
        elif child.type == "link_close" and href_stack:
            href, start = href_stack.pop(), start_stack.pop()
            label = "".join(out[start:])
            if href and label.strip() != href:
                out.append(f" ({href})")
    return "".join(out)


def _plain_text(tokens: list[Token]) -> str:
    blocks: list[str] = []
    prefix = ""
    for token in tokens:
        if token.type == "bullet_list_open":
            prefix = "- "
            blocks.append("")
        elif token.type == "bullet_list_close":
            prefix = ""
        elif token.type == "inline" and prefix:
            line = prefix + _inline_text(token.children or [])
            blocks[-1] = f"{blocks[-1]}\n{line}" if blocks[-1] else line
        elif token.type == "inline":
            blocks.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(block for block in blocks if block.strip()).strip()


def render(markdown: str, *, link_map: Mapping[str, str] | None = None) -> Variant:
    md = _md()
    tokens = md.parse(markdown)
    if link_map:
        _swap_links(tokens, link_map)
    html = md.renderer.render(tokens, md.options, {})
    return Variant(text=_plain_text(tokens), html=html)


def length(text: str) -> int:
    """Length in code points: never less than platforms count (graphemes, or URLs as 23).

    A channel with its own rule declares ``text_length(text)`` (see ``variants``).
    """
    return len(text)


_length = length


def split_thread(
    text: str, limit: int, *, measure: Callable[[str], int] | None = None
) -> list[str]:
    """Split ``text`` into numbered parts ("… 1/3") of at most ``limit`` characters.

    Whole sentences are kept together where they fit, else it breaks between
    words; raises ValueError naming the word (often a long link) that does not
    fit on its own.
    """
    length = measure or _length
    if length(text) <= limit:
        return [text]
    room = limit - len(" 99/99")
    parts: list[str] = []
    current = ""

    def add(piece: str) -> None:
        nonlocal current
        candidate = f"{current} {piece}" if current else piece
        if length(candidate) <= room:
            current = candidate
        else:
            parts.append(current)
            current = piece

    for sentence in re.split(r"(?<=[.!?])\s+|\n{2,}", text.strip()):
        if length(sentence) <= room:
            add(sentence.replace("\n", " "))
            continue
        for word in sentence.split():
            if length(word) > room:
                raise ValueError(f"{word[:40]!r} is longer than {room} characters on its own")
            add(word)
    if current:
        parts.append(current)
    return [f"{part} {i}/{len(parts)}" for i, part in enumerate(parts, 1)]
