"""Untrusted HTML in, safe HTML and plain text out.

Everything people write reaches Rapport as hostile HTML (comments, toots,
tweets). ``sanitize_html`` keeps a small allow-list of inline and block tags so
the desk can show formatting without ever running a script; ``html_to_text``
gives the plain text that triage, search and exports read. Both must be cheap:
an import calls them a million times.
"""

from __future__ import annotations

import html as _html
import re

import nh3

#: Inputs longer than this are cut before parsing: nobody writes a 256 kB comment,
#: and an absurd size must not cost absurd time.
MAX_INPUT_CHARS = 256 * 1024

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "em",
        "strong",
        "b",
        "i",
        "blockquote",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "span",
    }
)
LINK_REL = "nofollow noopener noreferrer ugc"

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={"a": {"href", "title"}},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel=LINK_REL,
    clean_content_tags={"script", "style"},
    strip_comments=True,
)

_DROP_CONTENT = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|\Z)", re.I | re.S)
_BREAK = re.compile(r"<br\s*/?>|</(p|div|li|blockquote|pre|h[1-6]|tr)\s*>", re.I)
_TAG = re.compile(r"<!--.*?(-->|\Z)|<[^>]*>", re.S)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]{2,}|[\t\r\f\v\u00a0]")
_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCK_TAG = re.compile(r"<(p|div|br|ul|ol|blockquote|pre|table|h[1-6])\b", re.I)


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to safe tags; links get ``rel`` and only http(s)/mailto."""
    if not html:
        return ""
    return _CLEANER.clean(html[:MAX_INPUT_CHARS])


def html_to_text(html: str) -> str:
    """Plain text of ``html``: line breaks kept, tags dropped, entities unescaped."""
    if not html:
        return ""
    text = html[:MAX_INPUT_CHARS]
    if "<" in text:
        text = _DROP_CONTENT.sub("", text)
        text = _BREAK.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = _html.unescape(text)
    text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = "\n".join([line.strip() for line in text.split("\n")])
        if "\n\n\n" in text:
            text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def autop(text: str) -> str:
    """WordPress-style paragraphs for comment bodies stored as text with newlines.

    WordPress and Disqus keep comments mostly as plain text and add ``<p>``/``<br>``
    only when showing them; without this a three-paragraph comment would render
    as one run-on line. Input that already has block tags is left alone.
    """
    if "\n" not in text or ("<" in text and _BLOCK_TAG.search(text)):
        return text
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs if p)


def plain_text_to_html(text: str) -> str:
    """HTML for a platform that stores plain text (tweets, Bluesky posts): escaped, in paragraphs."""
    return autop(_html.escape(text))


def safe_url(url: str, *, max_length: int = 1000) -> str:
    """``url`` if it is an absolute http(s) address of sane length, else ``""``.

    Archive files set the links the desk shows (a post's link, a commenter's
    site); a ``javascript:`` one would run in the owner's browser on click.
    """
    url = url.strip()
    if len(url) > max_length or not url.lower().startswith(("http://", "https://")):
        return ""
    if any(ch in url for ch in " \t\r\n\"'<>`"):
        return ""
    return url
