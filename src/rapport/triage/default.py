"""Registers the built-in classifier through the same hook third-party ones use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rapport.hookspecs import hookimpl


@hookimpl
def register_classifiers(register: Callable[[type[Any]], None]) -> None:
    from rapport.triage.classifier import DefaultClassifier

    register(DefaultClassifier)
