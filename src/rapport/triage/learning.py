"""The service that fits, checks and activates a workspace model.

Corrections are the newest owner decision per item. A quarter of them (at
least five) are held out; a model fitted on the rest must classify the held-out
ones better than the workspace's current model, or nothing changes. When it
wins, it is refitted on all corrections and stored as the active model.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from rapport.accounts.models import Workspace
from rapport.publish.models import Post
from rapport.triage import neighbours, selfadapt
from rapport.triage.adapt import (
    MIN_CORRECTIONS,
    SELF_PREFIX,
    WorkspaceClassifier,
    accuracy,
    fit_head,
    split,
    workspace_base,
)
from rapport.triage.models import DecisionSource, TriageDecision, WorkspaceModel
from rapport.triage.registry import classifier_for, get_classifier
from rapport.triage.services import triage_items
from rapport.triage.types import TriageInput


@dataclass(frozen=True)
class Outcome:
    activated: bool
    corrections: int
    current_score: float | None = None
    new_score: float | None = None
    summary: str = ""


def corrections(*, workspace: Workspace) -> list[tuple[TriageInput, str]]:
    latest: dict[int, tuple[str, str, int | None]] = {}
    rows = (
        TriageDecision.objects.filter(item__workspace=workspace, source=DecisionSource.OWNER)
        .order_by("item_id", "created_at", "id")
        .values_list("item_id", "label", "item__text", "item__post_id")
    )
    for item_id, label, text, post_id in rows.iterator(chunk_size=2000):
        latest[item_id] = (label, text, post_id)
    posts = dict(
        Post.objects.filter(id__in={p for _, _, p in latest.values() if p}).values_list(
            "id", "text"
        )
    )
    return [
        (
            TriageInput(
                key=item_id, text=text, parent_text=posts.get(post_id) or "" if post_id else ""
            ),
            label,
        )
        for item_id, (label, text, post_id) in latest.items()
    ]


def train_workspace_model(*, workspace: Workspace) -> Outcome:
    examples = corrections(workspace=workspace)
    n = len(examples)
    if n < MIN_CORRECTIONS:
        return Outcome(
            False,
            n,
            summary=f"{n} corrections in {workspace.slug!r}; "
            f"a workspace model needs at least {MIN_CORRECTIONS}. Nothing changed.",
        )
    train, held_out = split(examples)
    base = workspace_base(workspace_id=workspace.id)
    candidate = WorkspaceClassifier(fit_head(base, train), "candidate", base.model, base.neighbours)
    current = classifier_for(workspace_id=workspace.id)
    current_score = accuracy(current, held_out)
    new_score = accuracy(candidate, held_out)
    scores = f"held-out accuracy {new_score:.3f} vs {current_score:.3f} for the current model ({len(held_out)} corrections)"
    if new_score <= current_score:
        return Outcome(
            False,
            n,
            current_score,
            new_score,
            f"The new model did not beat the current one: {scores}. Nothing changed.",
        )
    head = fit_head(base, examples)
    with transaction.atomic():
        count = WorkspaceModel.objects.filter(workspace=workspace).count()
        version = f"ws{workspace.id}-{count + 1}"
        WorkspaceModel.objects.filter(workspace=workspace, is_active=True).exclude(
            version__startswith=SELF_PREFIX
        ).update(is_active=False)
        WorkspaceModel.objects.create(
            workspace=workspace,
            version=version,
            base_version=base.version,
            weights=head.to_bytes(),
            metrics={"held_out": len(held_out), "new": new_score, "current": current_score},
            corrections=n,
            is_active=True,
        )
    return Outcome(
        True,
        n,
        current_score,
        new_score,
        f"Workspace model {version} is now active: {scores}. "
        f"Run `rapport triage run --workspace {workspace.slug} --all` to apply it.",
    )


def due_workspaces() -> list[Workspace]:
    """Workspaces with at least MIN_CORRECTIONS corrections more than their last model saw."""
    from django.db.models import Count, Max, Q

    rows = Workspace.objects.annotate(
        n=Count("items__decisions", filter=Q(items__decisions__source=DecisionSource.OWNER)),
        seen=Max("triage_models__corrections"),
    ).filter(n__gte=MIN_CORRECTIONS)
    return [ws for ws in rows if ws.n - (ws.seen or 0) >= MIN_CORRECTIONS]


def adapt_workspace(*, workspace: Workspace) -> Outcome:
    """Fit and activate the workspace's self-adaptation from its own items (no labels).

    Reads the newest ``selfadapt.MAX_ITEMS`` items that are not the workspace's
    own, with the posts they answer, and then re-labels those items with it
    (owner labels stay): they are the ones still in view, and the measured gain
    is for items labelled after the adaptation. New items use it at once;
    ``rapport triage run --all`` re-labels older ones too.
    """
    from rapport.inbox.models import Item

    rows = list(
        Item.objects.filter(workspace=workspace, is_own=False)
        .order_by("-created_at", "-id")
        .values_list("id", "text", "post_id")[: selfadapt.MAX_ITEMS]
    )
    n = len(rows)
    if n < selfadapt.MIN_ITEMS:
        return Outcome(
            False,
            0,
            summary=f"{n} items in {workspace.slug!r}; self-adaptation needs at least "
            f"{selfadapt.MIN_ITEMS}. Nothing changed.",
        )
    posts = dict(Post.objects.filter(id__in={p for *_, p in rows if p}).values_list("id", "text"))
    items = [  # keyed by item id: re-triaging an item never asks it about itself
        TriageInput(key=item_id, text=text or "", parent_text=posts.get(post_id, "") or "")
        for item_id, text, post_id in reversed(rows)
    ]
    base = get_classifier()
    delta = selfadapt.fit(base.model, items)  # type: ignore[attr-defined]
    with transaction.atomic():
        count = WorkspaceModel.objects.filter(
            workspace=workspace, version__startswith=SELF_PREFIX
        ).count()
        version = f"{SELF_PREFIX}ws{workspace.id}-{count + 1}"
        WorkspaceModel.objects.filter(
            workspace=workspace, is_active=True, version__startswith=SELF_PREFIX
        ).update(is_active=False)
        WorkspaceModel.objects.create(
            workspace=workspace,
            version=version,
            base_version=base.version,
            weights=delta.to_bytes(),
            metrics={
                "kind": "self",
                "items": n,
                "workspace_items": Item.objects.filter(workspace=workspace, is_own=False).count(),
                "confident": delta.confident,
                "neighbours": len(delta.neighbours or ()),
            },
            corrections=0,
            is_active=True,
        )
    changed = triage_items(workspace=workspace, item_ids=[item_id for item_id, *_ in rows])
    return Outcome(
        True,
        0,
        summary=f"Self-adaptation {version} is now active: fitted on {n} items "
        f"({delta.confident} confident decisions, {len(delta.cols)} weights moved, "
        f"the newest {len(delta.neighbours or ())} kept as neighbours for unsure items); "
        f"re-labelling them changed {changed} labels (owner labels stay as they are).",
    )


def due_for_adaptation() -> list[Workspace]:
    """Workspaces with enough items and no current self-adaptation: none yet, one fitted
    on another base model, one that saw less than four fifths of today's items, or one
    whose neighbourhood is a full snapshot behind (``neighbours.REFERENCE`` new items:
    new campaigns should meet their own kind, not last month's)."""
    from django.db.models import Count, Q

    base_version = get_classifier().version
    out: list[Workspace] = []
    rows = Workspace.objects.annotate(n=Count("items", filter=Q(items__is_own=False))).filter(
        n__gte=selfadapt.MIN_ITEMS
    )
    for ws in rows:
        last = (
            WorkspaceModel.objects.filter(
                workspace=ws, is_active=True, version__startswith=SELF_PREFIX
            )
            .order_by("-created_at", "-id")
            .values_list("metrics", "base_version")
            .first()
        )
        if last is None or last[1] != base_version:
            out.append(ws)
            continue
        seen = int((last[0] or {}).get("workspace_items", 0))
        if ws.n >= seen * 1.25 or ws.n - seen >= neighbours.REFERENCE:
            out.append(ws)
    return out
