"""Self-adaptation: spam weights tuned to a workspace's own items, without labels."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from rapport.errors import ModelError
from rapport.triage import selfadapt
from rapport.triage.model import load
from rapport.triage.types import TriageInput

SPAM = [
    f"Check out my channel {n} and subscribe http://promo{n}.biz free views now" for n in range(40)
]
HAM = [
    f"I baked the {what} again this {day} and the crust came out even better"
    for what in ("rye loaf", "sourdough", "brioche", "focaccia", "bagels")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
]
HOSTILE = ["", "😀🔥😀🔥", "<b>hi</b><script>alert(1)</script>", "word " * 200_000, "http://x.biz"]


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    return load()


def inputs(texts: list[str]) -> list[TriageInput]:
    return [TriageInput(key=n, text=t) for n, t in enumerate(texts)]


@pytest.fixture(scope="module")
def delta(base):  # type: ignore[no-untyped-def]
    return selfadapt.fit(base, inputs(SPAM + HAM + HOSTILE))


def test_fit_moves_only_weights_the_items_use_and_leaves_the_base_alone(base, delta):
    before = base.spam_w.copy()
    adapted = delta.apply(base)
    assert delta.confident > 0 and len(delta.cols) > 0
    assert np.isfinite(delta.delta).all()
    assert np.array_equal(base.spam_w, before)  # the base model is not touched
    changed = np.flatnonzero(adapted.spam_w != base.spam_w)
    assert set(changed) <= set(delta.cols.tolist())
    assert np.array_equal(adapted.intent_w, base.intent_w)


def test_confident_decisions_get_more_confident(base, delta):
    from rapport.triage.classifier import DefaultClassifier

    before = DefaultClassifier(base).classify_batch(inputs(SPAM[:5] + HAM[:5]))
    after = DefaultClassifier(delta.apply(base)).classify_batch(inputs(SPAM[:5] + HAM[:5]))
    assert [d.label for d in after] == [d.label for d in before]
    assert [d.label for d in after[:5]] == ["spam"] * 5
    assert all(a.confidence >= b.confidence - 1e-6 for a, b in zip(after, before, strict=True))


def test_round_trip_and_corrupt_bytes(base, delta):
    again = selfadapt.SpamDelta.from_bytes(delta.to_bytes())
    assert again.base_version == base.version
    assert np.array_equal(again.cols, delta.cols)
    assert np.allclose(again.delta, delta.delta)
    with pytest.raises(ModelError, match="rapport triage adapt"):
        selfadapt.SpamDelta.from_bytes(b"not a model")
    bad = selfadapt.SpamDelta(base.version, np.array([-1], np.int32), np.array([1.0], np.float32))
    with pytest.raises(ModelError, match="wrong shape"):
        selfadapt.SpamDelta.from_bytes(bad.to_bytes())


def test_a_delta_for_another_base_model_is_refused(base, delta):
    other = selfadapt.SpamDelta("default-v0", delta.cols, delta.delta)
    with pytest.raises(ModelError, match="default-v0"):
        other.apply(base)


@pytest.mark.parametrize("texts", [[], HOSTILE, ["same text"] * 3])
def test_fit_on_odd_or_few_items_does_not_raise(base, texts):
    out = selfadapt.fit(base, inputs(texts))
    assert out.cols.shape == out.delta.shape
    out.apply(base)


def test_own_items_are_not_learned_from(base):
    own = [TriageInput(key=n, text=t, is_own=True) for n, t in enumerate(SPAM)]
    assert len(selfadapt.fit(base, own).cols) == 0


@pytest.mark.django_db
def test_adapt_workspace_activates_and_triage_uses_it(workspace, make_item, owner, monkeypatch):
    from rapport.inbox.models import Item
    from rapport.triage.learning import adapt_workspace, due_for_adaptation, train_workspace_model
    from rapport.triage.models import TriageDecision, WorkspaceModel
    from rapport.triage.registry import classifier_for
    from rapport.triage.services import record_owner_label, triage_pending

    for text in HAM[:10]:
        make_item(text)
    few = adapt_workspace(workspace=workspace)
    assert not few.activated and "at least 100" in few.summary
    assert workspace not in due_for_adaptation()

    created = [make_item(text) for text in SPAM + HAM[10:] + HOSTILE + HAM[:30]]
    record_owner_label(item=created[0], label="conversation", user=owner)
    assert workspace in due_for_adaptation()
    outcome = adapt_workspace(workspace=workspace)
    assert outcome.activated, outcome.summary
    # the items it read are labelled with it at once; the owner's label stays
    assert not Item.objects.filter(workspace=workspace, label="").exists()
    assert "re-labelling them changed" in outcome.summary
    created[0].refresh_from_db()
    assert created[0].label == "conversation"
    latest = TriageDecision.objects.filter(item=created[1]).latest("created_at", "id")
    assert "/self-" in latest.model_version
    assert Item.objects.get(id=created[1].id).label == "spam"
    row = WorkspaceModel.objects.get(workspace=workspace, is_active=True)
    assert row.version.startswith("self-") and row.metrics["kind"] == "self"
    n_items = len(SPAM + HAM[10:] + HOSTILE + HAM[:30]) + 10
    assert row.metrics["neighbours"] == n_items and "kept as neighbours" in outcome.summary
    nb = classifier_for(workspace_id=workspace.id).neighbours  # type: ignore[attr-defined]
    assert nb is not None and len(nb) == n_items
    assert workspace not in due_for_adaptation()
    row.base_version = "default-v0"  # the shipped model was retrained since: refit
    row.save(update_fields=["base_version"])
    assert workspace in due_for_adaptation()
    row.base_version = classifier_for(workspace_id=workspace.id).version.split("/")[0]
    row.save(update_fields=["base_version"])
    assert workspace not in due_for_adaptation()
    seen = row.metrics["workspace_items"]
    row.metrics["workspace_items"] = seen * 10  # grown by less than a quarter since ...
    row.save(update_fields=["metrics"])
    assert workspace not in due_for_adaptation()
    monkeypatch.setattr("rapport.triage.neighbours.REFERENCE", 5)  # ... but a snapshot behind
    row.metrics["workspace_items"] = seen - 5
    row.save(update_fields=["metrics"])
    assert workspace in due_for_adaptation()
    row.metrics["workspace_items"] = seen
    row.save(update_fields=["metrics"])
    assert "/self-" in classifier_for(workspace_id=workspace.id).version
    assert triage_pending(workspace=workspace) == 0  # adapt labelled everything it read

    # owner corrections fit a head on top; the self-adaptation stays active under it
    slots = [
        make_item(f"Is the {day} {t} delivery slot still free?")
        for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
        for t in ("morning", "lunchtime", "evening", "late")
    ]
    triage_pending(workspace=workspace)
    for item in slots:
        record_owner_label(item=item, label="conversation", user=owner)
    assert train_workspace_model(workspace=workspace).activated
    versions = set(
        WorkspaceModel.objects.filter(workspace=workspace, is_active=True).values_list(
            "version", flat=True
        )
    )
    assert len(versions) == 2 and row.version in versions
    classifier = classifier_for(workspace_id=workspace.id)
    assert "/self-" in classifier.version and classifier.name == "workspace"
    [d] = classifier.classify_batch(
        [TriageInput(key=1, text="Is the Sunday morning delivery slot still free?")]
    )
    assert d.label == "conversation"

    again = adapt_workspace(workspace=workspace)
    assert again.activated
    active = set(
        WorkspaceModel.objects.filter(workspace=workspace, is_active=True).values_list(
            "version", flat=True
        )
    )
    assert row.version not in active and len(active) == 2


@pytest.mark.django_db
def test_cli_adapt(workspace):
    from rapport.cli import build_cli

    result = CliRunner().invoke(build_cli(), ["triage", "adapt", "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert "needs at least 100" in result.output
    result = CliRunner().invoke(build_cli(), ["triage", "adapt", "--workspace", "nope"])
    assert result.exit_code == 2


@pytest.mark.django_db
def test_the_nightly_task_goes_on_after_one_workspace_fails(
    workspace, make_item, monkeypatch, caplog
):
    from django.utils.timezone import now

    from rapport.accounts.services import create_workspace
    from rapport.inbox.models import Item
    from rapport.triage import learning, tasks
    from rapport.triage.models import WorkspaceModel

    other = create_workspace(slug="other", name="Other")
    for n, text in enumerate(SPAM + HAM + HAM[:40]):
        make_item(text)
        Item.objects.create(
            workspace=other, source="test", source_id=f"o{n}", created_at=now(), text=text
        )
    real = learning.adapt_workspace

    def broken_for_acme(*, workspace):  # type: ignore[no-untyped-def]
        if workspace.slug == "acme":
            raise RuntimeError("disk full")
        return real(workspace=workspace)

    monkeypatch.setattr(learning, "adapt_workspace", broken_for_acme)
    assert tasks.adapt_workspaces_task.call_local() == 1
    assert WorkspaceModel.objects.filter(workspace=other, is_active=True).exists()
    assert not WorkspaceModel.objects.filter(workspace=workspace).exists()
    assert "self-adaptation of workspace 'acme' failed" in caplog.text
