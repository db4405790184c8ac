"""Text clean-up shared by the features, the rules and the duplicate index.

Items arrive as plain text from ingest, but imports and tests also hand us HTML,
1 MB pastes and emoji-only strings; everything downstream works on the bounded,
tag-free text this module returns, so no input can make triage slow or crash.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import urlsplit

MAX_CHARS = 4000  # features and rules read at most this much; the rest adds nothing

_TAG = re.compile(r"<[^>]{0,500}>")
# A bare domain is a link when its ending is one that spam favours and plain words rarely
# make ("great.com"), or when a path follows whatever its ending ("trojmiasto.pl/bus-o59253":
# "song.it" alone is a missing space, "song.it/x" is not); "site . com" is the spaced
# spelling that dodges link filters.
_DOMAIN_ENDS = (
    "com|net|org|info|biz|ru|io|co|me|ly|tk|xyz|us|de|fr|es|uk|pl|br|ua|online|site|club|"
    "top|shop|store|live|click|link|ml|ga|cf|gq|pw|cc|ws|gl|gd|su|vip|win|bid|cam"
)
# Labels and their number are bounded (as in DNS: 63 characters; a host has at most five
# labels here): an unbounded repeat made "aa.aa.aa..." quadratic, 0.4 s for 4,000 characters.
_HOST = r"\b[a-z0-9-]{2,63}(?:\.[a-z0-9-]{2,63}){0,4}"
_URL = re.compile(
    r"(?:https?\s?:\s?//|www\.)[^\s<>\"']+"
    rf"|{_HOST}\.(?:{_DOMAIN_ENDS})(?:/[^\s<>\"']*)?\b"
    rf"|{_HOST}\.[a-z]{{2,6}}/[^\s<>\"']+"
    r"|\b[a-z0-9-]{3,63} \. ?(?:com|net|org)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,30}")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """Bound the text, drop HTML tags and entities, collapse white space."""
    text = text[: limit * 2]
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return _SPACE.sub(" ", text).strip()[:limit]


_URL_HINT = re.compile(r"//|www\.|\w\.[A-Za-z]{2}|\w \. ?(?:com|net|org)\b", re.IGNORECASE)
_HREF = re.compile(
    r"<a\s[^>]{0,500}?\bhref\s*=\s*[\"']?\s*(https?://[^\"'\s>]{1,500})", re.IGNORECASE
)


def anchor_links(raw: str, limit: int = MAX_CHARS) -> list[str]:
    """The addresses of HTML links (``<a href>``), which :func:`clean` drops with the tags.

    "<a href=http://spam.biz>my song</a>" reads "my song" once cleaned; the
    address still counts as a link for the features and the reasons.
    """
    raw = raw[: limit * 2]
    if "<" not in raw:
        return []
    return [html.unescape(m.group(1)).rstrip(".,;:!?)") for m in _HREF.finditer(raw)]


def find_links(text: str) -> list[str]:
    if _URL_HINT.search(text) is None:
        return []
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    return [m.group(0).rstrip(".,;:!?)") for m in _URL.finditer(text)]


def domain_of(link: str) -> str:
    """Registered-ish domain of a link ("https://www.x.co.uk/a" -> "x.co.uk")."""
    link = link.replace(" ", "")
    if "//" not in link:
        link = "http://" + link
    try:
        host = (urlsplit(link).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def find_handles(text: str) -> list[str]:
    if "@" not in text:
        return []
    return _HANDLE.findall(_EMAIL.sub(" ", text))


def strip_noise(text: str) -> str:
    """Text without links and @handles: what a person actually wrote."""
    return _SPACE.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", text))).strip()


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def normalise(text: str) -> str:
    """Lower-case words only: the form compared for duplicates and copies."""
    return " ".join(words(text))
