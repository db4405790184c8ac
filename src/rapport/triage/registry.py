"""Which classifier triages a workspace.

Classifier classes come from the ``register_classifiers`` hook (the default one
included). A workspace uses its own active model when it has one (fitted on the
owner's corrections), else the shipped default. Instances are cached per
process: they are read-only, so the cache never needs to be shared.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rapport.errors import NotFound
from rapport.triage.types import Classifier

DEFAULT = "default"


@cache
def classifier_classes() -> dict[str, type[Any]]:
    from rapport.plugins import get_plugin_manager

    found: dict[str, type[Any]] = {}

    def register(cls: type[Any]) -> None:
        found[cls.name] = cls

    get_plugin_manager().hook.register_classifiers(register=register)
    return found


@cache
def _instance(name: str) -> Classifier:
    classes = classifier_classes()
    if name not in classes:
        raise NotFound(f"no triage classifier {name!r}; known: {', '.join(sorted(classes))}")
    return classes[name]()


def get_classifier(name: str = DEFAULT) -> Classifier:
    return _instance(name)


def classifier_for(*, workspace_id: int) -> Classifier:
    """The workspace's own model when one is active, else the default classifier."""
    from rapport.triage.adapt import active_workspace_classifier

    return active_workspace_classifier(workspace_id=workspace_id) or get_classifier()
