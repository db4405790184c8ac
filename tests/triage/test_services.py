"""The triage services on real Item rows."""

from __future__ import annotations

import pytest

from rapport.errors import ValidationError
from rapport.inbox.models import Item
from rapport.triage.models import TriageDecision
from rapport.triage.services import record_owner_label, retriage, triage_items, triage_pending

pytestmark = pytest.mark.django_db


def test_pending_items_get_one_label_and_a_mirrored_decision(workspace, make_item):
    question = make_item("Do you deliver to Brighton on Saturdays?")
    thanks = make_item("Thank you, lovely!")
    spam = make_item("Check out my channel http://bit.ly/abc subscribe!!!")

    assert triage_pending(workspace=workspace) == 3

    for item, label in ((question, "needs_reply"), (thanks, "appreciation"), (spam, "spam")):
        item.refresh_from_db()
        decision = item.decisions.get()
        assert item.label == decision.label == label
        assert item.flags == decision.flags
        assert item.confidence == pytest.approx(decision.confidence)
        assert 0 <= decision.confidence <= 1
        assert decision.reasons


def test_triage_pending_is_idempotent(workspace, make_item):
    make_item("Is the shop open on Sunday?")
    assert triage_pending(workspace=workspace) == 1
    assert triage_pending(workspace=workspace) == 0
    assert TriageDecision.objects.count() == 1


def test_own_items_get_a_rule_decision_flagged_own(workspace, make_item):
    own = make_item("Thanks everyone, we reopen on Monday?", is_own=True)
    triage_pending(workspace=workspace)
    own.refresh_from_db()
    decision = own.decisions.get()
    assert (own.label, own.flags, decision.source) == ("conversation", ["own"], "rule")
    assert decision.reasons == ["written by the workspace's own account"]


def test_same_text_later_by_another_author_is_a_duplicate(workspace, make_item, make_author):
    text = "Earn money from home, ask me how, the best offer on the whole internet"
    first = make_item(text, minutes=0.5, author=make_author("ann"))
    triage_pending(workspace=workspace)
    second = make_item(text, minutes=180.5, author=make_author("bob"))
    triage_pending(workspace=workspace)

    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.is_duplicate
    assert second.is_duplicate and "duplicate" in second.flags
    reasons = second.decisions.get().reasons
    assert "same text as a comment 3 hours earlier by another author" in reasons


def test_nearly_the_same_text_is_a_duplicate(workspace, make_item):
    make_item("I tried the sourdough recipe twice and both times the loaf came out flat and dense")
    near = make_item(
        "I tried the sourdough recipe twice and both times the loaf came out flat and dense!!"
    )
    triage_pending(workspace=workspace)
    near.refresh_from_db()
    assert near.is_duplicate


def test_copied_sentence_of_the_post_is_flagged(workspace, make_item, make_post):
    post = make_post(
        "Our rye bread rests for forty hours before it meets the oven. "
        "That long rest is what gives the crumb its deep, sour flavour."
    )
    item = make_item("That long rest is what gives the crumb its deep, sour flavour.", post=post)
    triage_pending(workspace=workspace)
    item.refresh_from_db()
    assert "copied" in item.flags
    assert any("of a sentence of the post" in r for r in item.decisions.get().reasons)


def test_owner_correction_is_mirrored_and_survives_a_rerun(workspace, owner, make_item):
    item = make_item("Check out my bakery blog http://crumbs.example/")
    triage_pending(workspace=workspace)
    decision = record_owner_label(item=item, label="conversation", user=owner)

    assert decision.source == "owner" and decision.decided_by == owner
    retriage(workspace=workspace)
    triage_items(workspace=workspace, item_ids=[item.id])
    item.refresh_from_db()
    assert item.label == "conversation"
    assert item.decisions.order_by("-created_at", "-id").first().source == "owner"


def test_unknown_owner_label_is_refused(workspace, make_item):
    item = make_item("hello")
    with pytest.raises(ValidationError):
        record_owner_label(item=item, label="urgent", user=None)


def test_retriage_stores_nothing_when_nothing_changed(workspace, make_item):
    make_item("Where can I buy your rye bread?")
    triage_pending(workspace=workspace)
    assert retriage(workspace=workspace) == 0
    assert TriageDecision.objects.count() == 1


def test_language_is_detected_and_mirrored(workspace, make_item):
    item = make_item("Wie lange habt ihr am Samstag geöffnet? Ich möchte eine Torte bestellen.")
    triage_pending(workspace=workspace)
    item.refresh_from_db()
    assert item.label == "needs_reply"
    assert "language:de" in item.flags and item.language == "de"


def test_task_triages_pending_items(workspace, make_item):
    from rapport.triage.tasks import triage_pending_task

    make_item("Can I order a cake for Friday?")
    assert triage_pending_task(workspace.id).get() == 1
    assert Item.objects.get().label == "needs_reply"
    assert triage_pending_task(workspace.id).get() == 0
