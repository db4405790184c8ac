"""One pass over an item's text that every later step reads from.

Cleaning, tokenising, finding links and handles, the cues and the language are
computed once here; the model's features, the rules and the reasons all reuse
them. Nothing in here raises on odd input: empty, emoji-only, link-only, huge
or HTML text all give a valid (possibly empty) :class:`Prepared`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport.triage import cues, text
from rapport.triage.language import detect_tokens
from rapport.triage.types import TriageInput


@dataclass(slots=True)
class Prepared:
    source: TriageInput
    clean: str
    tokens: list[str]
    words: list[str]  # tokens of the text without links and handles
    links: list[str]
    domains: list[str]
    handles: list[str]
    cue_counts: list[int]
    language: str
    upper_ratio: float
    letters: int
    exclamations: int
    questions: int

    def cue(self, name: str) -> int:
        for cue, n in zip(cues.ALL_CUES, self.cue_counts, strict=True):
            if cue.name == name:
                return n
        raise KeyError(name)


def prepare(item: TriageInput) -> Prepared:
    clean = text.clean(item.text or "")
    links = text.find_links(clean)
    for link in (*text.anchor_links(item.text or ""), *item.links):
        if link not in links:
            links.append(link)
    domains = sorted({d for d in map(text.domain_of, links) if d})
    handles = text.find_handles(clean)
    plain = text.strip_noise(clean) if (links or handles) else clean
    toks = cues.tokens(clean)
    words = cues.tokens(plain) if plain is not clean else toks
    letters = sum(map(str.isalpha, plain))
    upper = sum(map(str.isupper, plain)) if letters else 0
    return Prepared(
        source=item,
        clean=clean,
        tokens=toks,
        words=words,
        links=links,
        domains=domains,
        handles=handles,
        cue_counts=cues.counts(words, plain),
        language=detect_tokens(words, plain),
        upper_ratio=upper / letters if letters else 0.0,
        letters=letters,
        exclamations=plain.count("!"),
        questions=plain.count("?") + plain.count("¿"),
    )
