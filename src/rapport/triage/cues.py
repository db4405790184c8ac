"""Hand-written cues in English, German, Spanish and French, each with its reason.

The learned model sees these as features, and the reasons a person reads come
from them: a cue is something an owner recognises ("asks a question"), where a
hashed n-gram weight is not. Cues are phrase lists matched on the token list
through a first-token index, so all of them cost a few microseconds per item
(one big regular expression cost 150 µs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True, slots=True)
class Cue:
    name: str
    reason: str
    phrases: frozenset[tuple[str, ...]]
    prefixes: tuple[str, ...] = ()
    chars: frozenset[str] = frozenset()


def _cue(
    name: str, reason: str, phrases: Iterable[str], prefixes: Iterable[str] = (), chars: str = ""
) -> Cue:
    return Cue(
        name,
        reason,
        frozenset(tuple(tokens(p)) for p in phrases),
        tuple(prefixes),
        frozenset(chars),
    )


def _cross(firsts: str, seconds: str) -> list[str]:
    return [f"{a} {b}" for a in firsts.split("|") for b in seconds.split("|")]


QUESTION = _cue(
    "question",
    "asks a question",
    [
        *_cross("how", "do|does|can|could|much|many|long|to|is|are|would|should|did"),
        *_cross("what", "is|are|do|does|about|if|time|happened|should|can|did|was"),
        "what's",
        *_cross("why", "is|are|do|does|did|can't|won't|isn't|doesn't|not|would|has|hasn't"),
        *_cross("when", "will|is|are|do|does|can|did|should"),
        *_cross("where", "is|are|can|do|did|should"),
        *_cross("which", "one|is|are|do|should"),
        *_cross("can|could|would|will|should", "you|u|i|we|someone|anyone|it"),
        *_cross("do|does|did|is|are|was|has|have", "you|u|it|this|there|anyone|your|they"),
        *_cross("any", "idea|ideas|advice|update|updates|news|tips|suggestions|chance"),
        "is there",
        "wondering",
        "wonder if",
        "anyone know",
        # de
        *_cross("wie", "kann|lange|viel|teuer|geht|komme|mache|funktioniert|bekomme"),
        *_cross("was", "kostet|ist|soll|kann|muss"),
        "warum",
        "wieso",
        "weshalb",
        *_cross("wann", "kommt|ist|wird|kann|gibt|kommen"),
        *_cross("wo", "kann|finde|ist|gibt|bekomme"),
        *_cross("können|könnten|kannst|könntest|habt|haben|gibt|ist", "sie|ihr|du|wir|es"),
        # es
        *_cross("cómo|como", "puedo|se|hago|funciona|puede"),
        "cuánto",
        "cuánta",
        "cuántos",
        "por qué",
        "cuándo",
        "dónde",
        *_cross("puede|pueden|podría|podrían|puedes|podrías", "usted|ustedes|me|ayudar|decirme"),
        *_cross("hay", "algún|alguna|forma|manera"),
        "alguien sabe",
        # fr
        *_cross("comment", "faire|puis|peut|est|on|je|ça|fait"),
        "combien",
        "pourquoi",
        *_cross("quand", "est|sera|va|allez|pourrai|arrive"),
        *_cross("où", "est|puis|peut|trouver"),
        "est ce que",
        "est ce qu'il",
        *_cross("pouvez|pourriez|peux|pourrais|avez|auriez", "vous|tu|je"),
        "y a t il",
    ],
    chars="?¿",
)

REQUEST = _cue(
    "request",
    "makes a request",
    [
        "please",
        "pls",
        "plz",
        "plse",
        "help",
        "help me",
        *_cross("i|we", "need|want|would|'d|am|'m|require"),
        "i'd like",
        "i'm looking for",
        "let me know",
        "send me",
        "dm me",
        "contact me",
        "call me",
        "get back to me",
        "refund",
        "cancel my",
        "fix",
        "fix this",
        "fix it",
        "assist",
        "support",
        "bitte",
        "hilfe",
        *_cross("ich", "brauche|möchte|hätte|suche|bräuchte"),
        "melden sie sich",
        "por favor",
        "ayuda",
        "ayúdenme",
        "necesito",
        "quisiera",
        "quiero",
        "s'il vous plaît",
        "s'il vous plait",
        "s'il te plaît",
        "svp",
        "aidez moi",
        "aide",
        "j'ai besoin",
        "je voudrais",
        "je souhaite",
        "merci de",
    ],
)

COMPLAINT = _cue(
    "complaint",
    "reports a problem or complaint",
    [
        *_cross(
            "not",
            "working|receiving|received|arrived|showing|loading|responding|able|letting|happy|getting",
        ),
        *_cross(
            "isn't|doesn't|won't|didn't|can't|cannot|cant|couldn't|wont|dont|don't|didnt|doesnt|isnt|aren't|haven't|hasn't",
            "work|working|load|open|arrive|show|let|allow|start|find|get|log|sign|access|connect|see|login|play|receive|use|download|remember|install|update",
        ),
        *_cross("unable", "to"),
        *_cross("keeps|keep|kept", "crashing|failing|freezing|saying|getting|signing|asking"),
        *_cross("still", "waiting|no|not|haven't|hasn't|nothing|charging|broken"),
        *_cross("no", "answer|response|reply|way|one"),
        *_cross("never", "arrived|received|got|came"),
        "broken",
        "crash",
        "crashes",
        "crashed",
        "crashing",
        "error",
        "errors",
        "issue",
        "issues",
        "problem",
        "problems",
        "bug",
        "glitch",
        "stuck",
        "lost",
        "missing",
        "wrong",
        "failed",
        "charged",
        "overcharged",
        "billed",
        "scam",
        "scammed",
        "banned",
        "suspended",
        "terminated",
        "hacked",
        "locked out",
        "disappointed",
        "terrible",
        "awful",
        "worst",
        "unacceptable",
        "ridiculous",
        "annoying",
        "useless",
        "fed up",
        "on hold",
        "is down",
        "are down",
        "servers down",
        "gone",
        "disappeared",
        "unplayable",
        "been able",
        "yet to",
        "not ok",
        "so bad",
        "tired of",
        "difficulties",
        "trouble",
        "hasn't appeared",
        "forgot",
        "forgotten",
        "won't let",
        "refuses",
        "what to do",
        "trying to",
        "tried everything",
        "been waiting",
        "too long",
        "slow",
        "cancelled",
        "canceled",
        "delayed",
        "damaged",
        "rude",
        "complaint",
        "funktioniert nicht",
        "geht nicht",
        "kaputt",
        "fehler",
        "problem",
        "enttäuscht",
        "immer noch",
        "keine antwort",
        "nicht angekommen",
        "no funciona",
        "problema",
        "roto",
        "todavía no",
        "sin respuesta",
        "no puedo",
        "no llegó",
        "decepcionado",
        "decepcionada",
        "ne marche pas",
        "ne fonctionne pas",
        "marche pas",
        "erreur",
        "problème",
        "cassé",
        "toujours pas",
        "pas de réponse",
        "je n'arrive pas",
        "impossible",
        "déçu",
        "déçue",
    ],
    prefixes=("frustrat", "irritat", "disappoint"),
)

PRAISE = _cue(
    "praise",
    "thanks or praise",
    [
        "thanks",
        "thank",
        "thx",
        "ty",
        "tysm",
        "great",
        "awesome",
        "amazing",
        "love",
        "loved",
        "lovely",
        "nice",
        "beautiful",
        "wonderful",
        "brilliant",
        "fantastic",
        "excellent",
        "perfect",
        "cool",
        "best",
        "wow",
        "bravo",
        "well done",
        "good job",
        "kudos",
        "inspiring",
        "helpful",
        "danke",
        "toll",
        "super",
        "klasse",
        "wunderbar",
        "schön",
        "großartig",
        "genial",
        "gracias",
        "excelente",
        "me encanta",
        "precioso",
        "bonito",
        "increíble",
        "felicidades",
        "merci",
        "génial",
        "magnifique",
        "j'adore",
        "superbe",
        "félicitations",
        "top",
    ],
    prefixes=("congrat", "gratul"),
    chars="\U0001f44d\U0001f44f\u2764\U0001f499\U0001f49a\U0001f49b\U0001f49c\U0001f60d\U0001f970\U0001f64f\U0001f525\u2b50\U0001f31f\U0001f60a\u263a",
)

PROMO = _cue(
    "promo",
    "promotes a channel, product or offer",
    [
        *_cross("check", "out|my|our"),
        "check me out",
        "subscribe to my",
        "subscribe to me",
        "sub to my",
        "sub to me",
        "sub me",
        "subscribe my",
        "sub4sub",
        "sub 4 sub",
        "follow 4 follow",
        "follow for follow",
        "like 4 like",
        *_cross("follow|visit|add", "me|my|us|our"),
        *_cross("look|search", "up|for"),
        "on my channel",
        "to my channel",
        "my new song",
        "my new video",
        "my new track",
        "link in bio",
        "link in my bio",
        "click here",
        "click the link",
        "giveaway",
        "free money",
        "free gift",
        "free iphone",
        "free followers",
        "free robux",
        *_cross("earn|make|making", "money|cash|$"),
        "work from home",
        "per day",
        "a day from home",
        "passive income",
        "bitcoin",
        "forex",
        "online casino",
        "free spins",
        "viagra",
        "cialis",
        "backlinks",
        "seo services",
        "whatsapp",
        "telegram",
        "promo code",
        "discount code",
        "buy now",
        "order now",
        "limited offer",
        "dm for",
        "dm me for",
        "abonniert",
        "abonniere",
        "suscríbete",
        "suscribete",
        "suscríbanse",
        "abonnez vous",
        "abonne toi",
    ],
)

ALL_CUES: tuple[Cue, ...] = (QUESTION, REQUEST, COMPLAINT, PRAISE, PROMO)
_INDEX: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
for _i, _c in enumerate(ALL_CUES):
    for _p in _c.phrases:
        _INDEX.setdefault(_p[0], []).append((_i, _p))
_PREFIXES = tuple((i, p) for i, c in enumerate(ALL_CUES) for p in c.prefixes)
_ALL_PREFIXES = tuple(p for _, p in _PREFIXES)


def counts(toks: list[str], text: str) -> list[int]:
    """How often each cue of :data:`ALL_CUES` occurs, in that order."""
    found = [0] * len(ALL_CUES)
    index = _INDEX
    n = len(toks)
    for pos, tok in enumerate(toks):
        entries = index.get(tok)
        if entries is not None:
            for i, phrase in entries:
                k = len(phrase)
                if k == 1 or (pos + k <= n and tuple(toks[pos : pos + k]) == phrase):
                    found[i] += 1
        elif tok.startswith(_ALL_PREFIXES):
            for i, p in _PREFIXES:
                if tok.startswith(p):
                    found[i] += 1
    if text:
        chars = set(text)
        for i, cue in enumerate(ALL_CUES):
            if cue.chars and not chars.isdisjoint(cue.chars):
                found[i] += 1
    return found
