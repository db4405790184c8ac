"""Writes for the desk: mark done, relabel, acknowledge appreciation, reply.

Views, the API and the CLI call these and nothing else, so a rule such as
"answered items remember how long they waited" holds whichever door was used.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks

from rapport.accounts.models import User, Workspace
from rapport.channels.models import ChannelStatus
from rapport.errors import ValidationError
from rapport.inbox.models import Item, ItemKind, ItemState, Label
from rapport.people.models import Identity

MAX_REPLY_CHARS = 5000
REPLY_PREFIX = "rapport-reply:"


class DeliveryState:
    """Where a desk reply stands, kept in ``reply.signals["delivery"]``."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not_sent"  # archive imports have no channel to answer through


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    reply: Item
    will_send: bool


def mark_done(*, item: Item, user: User) -> Item:
    """Nothing more to do for ``item``; an answered item keeps its response time."""
    Item.objects.filter(pk=item.pk).update(state=ItemState.DONE)
    item.state = ItemState.DONE
    return item


def relabel(*, item: Item, label: str, user: User) -> Item:
    """Store the owner's label; triage keeps it and learns from it."""
    if label not in Label.values:
        raise ValidationError(
            f"unknown label {label!r}; use one of {', '.join(Label.values)}", field="label"
        )
    from rapport.triage.services import record_owner_label

    record_owner_label(item=item, label=label, user=user)
    item.refresh_from_db()
    return item


def acknowledge_appreciation(*, workspace: Workspace, user: User, seen_at: datetime) -> int:
    """Mark every open appreciation received up to ``seen_at`` done; returns how many.

    ``seen_at`` is when the owner's page was drawn: thanks that arrive while they
    read are left for next time instead of being acknowledged unseen.
    """
    return Item.objects.filter(
        workspace=workspace,
        is_own=False,
        state=ItemState.OPEN,
        label=Label.APPRECIATION,
        received_at__lte=seen_at,
    ).update(state=ItemState.DONE)


def _own_identity(item: Item) -> Identity | None:
    platform = item.author.platform if item.author else None
    own = Identity.objects.filter(workspace_id=item.workspace_id, person__is_self=True)
    return (own.filter(platform=platform).first() if platform else None) or own.first()


def _can_reply_through_channel(item: Item) -> bool:
    channel = item.channel
    if channel is None or channel.status == ChannelStatus.DISABLED:
        return False
    from rapport.channels.registry import channel_classes

    cls = channel_classes().get(channel.kind)
    return bool(cls and cls.can_reply)


def reply(*, item: Item, user: User, text: str) -> ReplyOutcome:
    """Store the owner's reply as an own item and mark ``item`` answered.

    When the item's channel can reply, a worker sends it after the transaction
    commits; otherwise (an archive import) the reply is kept here and the page
    says it was not sent anywhere.
    """
    text = text.strip()
    if not text:
        raise ValidationError("write a reply first", field="text")
    if len(text) > MAX_REPLY_CHARS:
        raise ValidationError(
            f"a reply can have at most {MAX_REPLY_CHARS} characters", field="text"
        )
    if item.is_own:
        raise ValidationError("this is your own message; reply to the person instead", field="text")
    now = timezone.now()
    will_send = _can_reply_through_channel(item)
    delivery: dict[str, Any] = {
        "status": DeliveryState.PENDING if will_send else DeliveryState.NOT_SENT,
        "by": user.email,
    }
    with transaction.atomic():
        answered = Item.objects.select_for_update().get(pk=item.pk)
        own = Item.objects.create(
            workspace_id=answered.workspace_id,
            channel=answered.channel,
            source=answered.source,
            source_id=f"{REPLY_PREFIX}{uuid.uuid4()}",
            kind=ItemKind.REPLY,
            post=answered.post,
            parent=answered,
            root_id=answered.root_id or answered.pk,
            author=_own_identity(answered),
            html=linebreaks(escape(text)),
            text=text,
            language=answered.language,
            is_own=True,
            signals={"delivery": delivery},
            created_at=now,
            state=ItemState.DONE,
            flags=["own"],
        )
        if answered.answered_at is None:
            answered.answered_at = now
            answered.response_seconds = max(0, int((now - answered.created_at).total_seconds()))
        answered.state = ItemState.ANSWERED
        answered.save(update_fields=["state", "answered_at", "response_seconds"])
        if will_send:
            from rapport.inbox.tasks import send_reply

            transaction.on_commit(lambda: send_reply(own.pk))
    item.refresh_from_db()
    return ReplyOutcome(reply=own, will_send=will_send)


def record_delivery(
    *, reply_id: int, status: str, remote_id: str = "", remote_url: str = "", error: str = ""
) -> None:
    """Remember what the platform said; a sent reply takes the platform's id as its own."""
    with transaction.atomic():
        own = Item.objects.select_for_update().get(pk=reply_id)
        delivery = dict(own.signals.get("delivery", {}))
        delivery.update(status=status, error=error, at=timezone.now().isoformat())
        own.signals = {**own.signals, "delivery": delivery}
        fields = ["signals"]
        taken = Item.objects.filter(
            workspace_id=own.workspace_id, source=own.source, source_id=remote_id
        ).exclude(pk=own.pk)
        if remote_id and not taken.exists():
            own.source_id = remote_id
            fields.append("source_id")
        elif remote_id:
            delivery["remote_id"] = remote_id  # a sync already brought the copy in
        if remote_url:
            own.url = remote_url
            fields.append("url")
        own.save(update_fields=fields)
