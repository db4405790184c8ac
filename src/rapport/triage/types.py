"""The plain records that cross the classifier boundary.

Classifiers never touch Django models: the services turn items into
:class:`TriageInput` and store the :class:`Decision` they get back. That keeps a
classifier testable on plain data, usable from the CLI on a JSONL file, and
replaceable through the ``register_classifiers`` hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

LABELS: tuple[str, ...] = ("needs_reply", "conversation", "appreciation", "spam")
FLAGS: tuple[str, ...] = ("own", "duplicate", "copied", "link_spam")  # plus "language:<code>"


@dataclass(frozen=True, slots=True)
class SeenBefore:
    """The same or nearly the same text was seen earlier in the workspace."""

    seconds_earlier: float
    same_author: bool
    exact: bool = True


@dataclass(frozen=True, slots=True)
class TriageInput:
    """One item as a classifier sees it.

    ``key`` is opaque to the classifier (the item id in the services, a line
    number in ``triage eval``); ``seen_before`` is filled in by the services from
    the workspace's duplicate index, because a classifier sees only its batch.
    """

    key: Any
    text: str
    parent_text: str = ""
    author_key: str = ""
    created_at: datetime | None = None
    is_own: bool = False
    platform_signals: dict[str, Any] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    seen_before: SeenBefore | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One label, any flags, a confidence in 0..1 and the reasons in words."""

    key: Any
    label: str
    flags: tuple[str, ...] = ()
    confidence: float = 1.0
    reasons: tuple[str, ...] = ()
    source: str = "model"  # "model" or "rule"; owner decisions are made by the services
    model_version: str = ""

    @property
    def is_duplicate(self) -> bool:
        return "duplicate" in self.flags

    @property
    def language(self) -> str:
        for flag in self.flags:
            if flag.startswith("language:"):
                return flag.partition(":")[2]
        return ""


@runtime_checkable
class Classifier(Protocol):
    """What ``register_classifiers`` registers: a class with these members."""

    name: str
    version: str

    def classify_batch(self, inputs: Sequence[TriageInput]) -> list[Decision]:
        """Return one decision per input, in order; never raise on odd text."""
        ...
