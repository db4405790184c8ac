"""``copied``: a comment that lifts a sentence from the post it is attached to.

Scrapers and spin bots paste a sentence of the article to look on-topic. A
cheap shingle overlap against the post (cached per post, because thousands of
comments share one) picks candidates; rapidfuzz then measures how much of the
best post sentence the comment reproduces, for the reason "copies 92 % of a
sentence of the post".
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from rapport.triage.text import clean, normalise

THRESHOLD = 85.0
MIN_WORDS = 6
MIN_CHARS = 30
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")


@lru_cache(maxsize=256)
def _post_index(parent_text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    sentences = []
    for raw in _SENTENCE.split(clean(parent_text, limit=100_000)):
        norm = normalise(raw)
        if len(norm.split()) >= MIN_WORDS:
            sentences.append(norm)
    shingles = frozenset(s for sent in sentences for s in _shingles(sent.split()))
    return shingles, tuple(sentences)


def _shingles(words: list[str]) -> list[str]:
    return [" ".join(words[i : i + 3]) for i in range(len(words) - 2)]


def copied_share(comment_words: list[str], parent_text: str) -> int:
    """Percent (0-100) of the best-matching post sentence that the comment reproduces.

    0 unless the comment is essentially post text: either it contains a whole
    sentence of the post, or it is (nearly) all a piece of one.
    """
    if len(comment_words) < MIN_WORDS or not parent_text:
        return 0
    post_shingles, sentences = _post_index(parent_text)
    mine = _shingles(comment_words)
    if not mine or not post_shingles:
        return 0
    if sum(1 for s in mine if s in post_shingles) / len(mine) < 0.3:
        return 0
    comment = " ".join(comment_words)
    best = 0.0
    for sentence in sentences:
        needle = min(len(sentence), len(comment))
        if needle < MIN_CHARS:
            continue
        score = fuzz.partial_ratio(comment, sentence)
        if score >= THRESHOLD:
            best = max(best, score * min(1.0, len(comment) / len(sentence)))
    return round(best)
