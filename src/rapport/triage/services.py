"""Run triage over a workspace's items and record the owner's corrections.

Every decision is stored as a :class:`TriageDecision` row and mirrored on the
item (label, flags, is_duplicate, confidence, language) so the inbox needs no
join. Work goes in batches of ``BATCH`` items with keyset pagination on
``(created_at, id)``: constant memory and no re-scan, however many items.
Owner decisions are never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from rapport.accounts.models import Role, User, Workspace
from rapport.errors import ValidationError
from rapport.inbox.models import Item, Label
from rapport.triage.batch import triage_batch
from rapport.triage.models import DecisionSource, TriageDecision

BATCH = 1000
Progress = Callable[[int], None]


def _owner_decided() -> Exists:
    return Exists(TriageDecision.objects.filter(item=OuterRef("pk"), source=DecisionSource.OWNER))


def _in_batches(
    queryset: QuerySet[Item], *, workspace: Workspace, only_changes: bool, progress: Progress | None
) -> int:
    """Triage ``queryset`` batch by batch in (created_at, id) order; return the count."""
    done = 0
    cursor: tuple[object, int] | None = None
    while True:
        with transaction.atomic():
            page = queryset
            if cursor is not None:
                page = page.filter(
                    Q(created_at__gt=cursor[0]) | Q(created_at=cursor[0], id__gt=cursor[1])
                )
            rows = list(
                page.select_for_update(skip_locked=True)
                .order_by("created_at", "id")
                .values_list("created_at", "id")[:BATCH]
            )
            if not rows:
                return done
            cursor = rows[-1]
            done += triage_batch(
                workspace=workspace, item_ids=[r[1] for r in rows], only_changes=only_changes
            )
        if progress is not None:
            progress(len(rows))


def triage_pending(*, workspace: Workspace, progress: Progress | None = None) -> int:
    """Label every item of the workspace that has no decision yet; idempotent."""
    pending = Item.objects.filter(workspace=workspace, label="")
    return _in_batches(pending, workspace=workspace, only_changes=False, progress=progress)


def triage_items(
    *, workspace: Workspace, item_ids: Iterable[int] | None = None, progress: Progress | None = None
) -> int:
    """(Re-)label the given items (all when None), skipping those the owner decided."""
    items = Item.objects.filter(workspace=workspace).exclude(_owner_decided())
    if item_ids is not None:
        items = items.filter(id__in=list(item_ids))
    return _in_batches(items, workspace=workspace, only_changes=True, progress=progress)


def retriage(*, workspace: Workspace, progress: Progress | None = None) -> int:
    """Re-run the current model over the workspace; owner decisions stay as they are.

    Returns the number of items whose decision changed.
    """
    return triage_items(workspace=workspace, progress=progress)


def record_owner_label(*, item: Item, label: str, user: User | None) -> TriageDecision:
    """Store the owner's correction (source=owner) and mirror it on the item.

    ``user`` must be allowed to edit the workspace (editor or owner); ``None``
    is for trusted callers such as the CLI and migrations of old data.
    """
    if label not in Label.values:
        raise ValidationError(
            f"unknown label {label!r}; use one of {', '.join(Label.values)}", field="label"
        )
    if user is not None:
        from rapport.accounts.services import require_role

        require_role(user=user, workspace=item.workspace, role=Role.EDITOR)
    flags = [f for f in (item.flags or []) if f != "link_spam" or label == Label.SPAM]
    who = getattr(user, "email", "") or "the owner"
    with transaction.atomic():
        decision = TriageDecision.objects.create(
            item=item,
            label=label,
            flags=flags,
            confidence=1.0,
            reasons=[f"corrected by {who}"],
            source=DecisionSource.OWNER,
            model_version="",
            decided_by=user if user is not None and user.pk else None,
        )
        item.label = label
        item.flags = flags
        item.is_duplicate = "duplicate" in flags
        item.confidence = 1.0
        item.save(update_fields=["label", "flags", "is_duplicate", "confidence"])
    return decision
