"""Flags and reasons in words, from the prepared text and its context.

The model picks the label; this module says *why* in terms an owner can check
("asks a question", "3 links to unrelated domains", "same text as a comment 3
hours earlier by another author") and sets the flags, which are rules because
each flag is a fact about the text rather than a judgement.
"""

from __future__ import annotations

import re

from rapport.triage.prepare import Prepared
from rapport.triage.types import SeenBefore

LINK_DROP_WORDS = 4
_QUERY = re.compile(r"[&;#]")


def ago(seconds: float) -> str:
    seconds = abs(seconds)
    for size, unit in ((86400 * 365, "year"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "moments"


def duplicate_reason(seen: SeenBefore) -> str:
    what = "same text as" if seen.exact else "nearly the same text as"
    who = "the same author" if seen.same_author else "another author"
    when = (
        "at the same time" if seen.seconds_earlier < 1 else f"{ago(seen.seconds_earlier)} earlier"
    )
    return f"{what} a comment {when} by {who}"


def neighbours_reason(spam_like: int, neighbours: int) -> str:
    return (
        f"like {spam_like} of the {neighbours} most similar comments in this workspace, "
        "which look like spam"
    )


def neighbours_rescue_reason(spam_like: int, neighbours: int) -> str:
    return (
        f"reads a little like spam, but {neighbours - spam_like} of the {neighbours} most "
        "similar comments in this workspace are not spam"
    )


def links_to_post(p: Prepared) -> bool:
    """A link that points at the post itself (its URL or id is in the post's text).

    The last part of the link's path or a value of its query must appear in
    the post ("youtu.be/ID", "watch?v=ID&t=2m19s"); a bare domain ("www.youtube",
    "example.com/") points at a site, not at this post, even when the post's
    own address is on that site.
    """
    parent = p.source.parent_text
    if not parent or not p.links:
        return False
    for link in p.links:
        rest = link.replace(" ", "").split("//", 1)[-1]
        _, slash, path = rest.partition("/")
        if not slash:
            continue
        path, _, query = path.partition("?")
        names = [path.rstrip("/").rsplit("/", 1)[-1]]
        names += [value for _, _, value in (kv.partition("=") for kv in _QUERY.split(query))]
        if any(len(name) >= 6 and name in parent for name in names):
            return True
    return False


def unrelated_domains(p: Prepared) -> list[str]:
    """Link domains that the post itself does not link to."""
    parent = p.source.parent_text
    if parent and links_to_post(p):
        return []
    return [d for d in p.domains if not parent or d not in parent]


def link_spam(p: Prepared, spam_probability: float) -> str | None:
    """The reason when the links look dropped rather than shared, else None."""
    if not p.links:
        return None
    domains = unrelated_domains(p)
    if not domains:
        return None
    n = len(p.links)
    if n >= 3 and len(domains) >= 2:
        return f"{n} links to unrelated domains"
    if len(p.words) < LINK_DROP_WORDS:
        return "a link with almost no text"
    if p.cue("promo") and spam_probability >= 0.5:
        return f"a link to {domains[0]} with a promotion"
    if spam_probability >= 0.8:
        return f"a link to {domains[0]} in a spam-like comment"
    return None


def intent_reasons(p: Prepared) -> dict[str, list[str]]:
    """Reasons that support each label, strongest first."""
    out: dict[str, list[str]] = {
        "needs_reply": [],
        "conversation": [],
        "appreciation": [],
        "spam": [],
    }
    if p.cue("question") or p.questions:
        out["needs_reply"].append("asks a question")
    if p.cue("request"):
        out["needs_reply"].append("makes a request")
    if p.cue("complaint"):
        out["needs_reply"].append("reports a problem or complaint")
    if p.cue("praise"):
        short = len(p.words) <= 20
        out["appreciation"].append("short thanks or praise" if short else "thanks or praise")
    if p.cue("promo"):
        out["spam"].append("promotes a channel, product or offer")
    if p.upper_ratio > 0.6 and p.letters >= 12:
        out["spam"].append("written in capitals")
    if len(p.handles) >= 3:
        out["spam"].append(f"mentions {len(p.handles)} accounts")
    if len(p.words) >= 12:
        out["conversation"].append(f"says something of substance ({len(p.words)} words)")
    if not p.words:
        for label in ("conversation", "appreciation"):
            out[label].append("no words to read" if not p.links else "only a link")
    return out
