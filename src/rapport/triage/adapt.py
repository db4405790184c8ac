"""Workspace models: learning from the owner's corrections (filled in later)."""

from __future__ import annotations

from rapport.triage.types import Classifier


def active_workspace_classifier(*, workspace_id: int) -> Classifier | None:
    return None
