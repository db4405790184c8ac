"""Workspace models learn from the owner's corrections, and only replace the model if better."""

from __future__ import annotations

import pytest

from rapport.triage.learning import train_workspace_model
from rapport.triage.models import WorkspaceModel
from rapport.triage.registry import classifier_for
from rapport.triage.services import record_owner_label, triage_pending

pytestmark = pytest.mark.django_db

# This owner (a bakery) treats delivery-slot questions as chit-chat handled elsewhere.
SLOT_QUESTIONS = [
    f"Is the {day} {time} delivery slot still free?"
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
    for time in ("morning", "lunchtime", "evening", "late")
]


def test_corrections_fit_a_workspace_model_that_follows_the_owner(workspace, owner, make_item):
    items = [make_item(text) for text in SLOT_QUESTIONS]
    triage_pending(workspace=workspace)
    assert {i.label for i in type(items[0]).objects.all()} == {"needs_reply"}
    for item in items:
        record_owner_label(item=item, label="conversation", user=owner)

    outcome = train_workspace_model(workspace=workspace)

    assert outcome.activated, outcome.summary
    assert outcome.new_score > outcome.current_score
    model = WorkspaceModel.objects.get(workspace=workspace, is_active=True)
    assert model.corrections == len(SLOT_QUESTIONS)
    classifier = classifier_for(workspace_id=workspace.id)
    from rapport.triage.types import TriageInput

    [d] = classifier.classify_batch(
        [TriageInput(key=1, text="Is the Sunday morning delivery slot still free?")]
    )
    assert d.label == "conversation"
    [d] = classifier.classify_batch(
        [TriageInput(key=2, text="My cake arrived broken, I want a refund")]
    )
    assert d.label == "needs_reply"


def test_too_few_corrections_change_nothing(workspace, owner, make_item):
    item = make_item("Is the Monday slot free?")
    record_owner_label(item=item, label="conversation", user=owner)
    outcome = train_workspace_model(workspace=workspace)
    assert not outcome.activated
    assert not WorkspaceModel.objects.exists()


def test_a_model_that_does_not_help_is_not_activated(workspace, owner, make_item):
    # Corrections that agree with the base model: nothing to gain, so nothing changes.
    texts = [f"Do you have {n} loaves of rye left for tomorrow?" for n in range(2, 30)]
    for text in texts:
        record_owner_label(item=make_item(text), label="needs_reply", user=owner)
    outcome = train_workspace_model(workspace=workspace)
    assert not outcome.activated
    assert "Nothing changed" in outcome.summary
