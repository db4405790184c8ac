"""Writes for channels: add, open with decrypted secrets, mark needs-reconnect."""

from __future__ import annotations

import functools
from typing import Any

import httpx
from django.db import transaction

from rapport.accounts.models import Workspace
from rapport.channels import base
from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.registry import channel_class
from rapport.errors import ValidationError


def add_channel(
    *, workspace: Workspace, kind: str, name: str, config: dict[str, Any], secrets: dict[str, Any]
) -> Channel:
    cls = channel_class(kind)
    if not name.strip():
        raise ValidationError("a channel needs a name", field="name")
    if Channel.objects.filter(workspace=workspace, name=name).exists():
        raise ValidationError(f"a channel named {name!r} already exists", field="name")
    cls.validate_config(config, secrets)
    channel = Channel(workspace=workspace, kind=kind, name=name.strip(), config=config)
    channel.set_secrets(secrets)
    channel.save()
    return channel


def open_channel(channel: Channel, *, http: httpx.Client | None = None) -> base.Channel:
    """The plugin instance for ``channel``, with its secrets decrypted."""
    cls = channel_class(channel.kind)
    instance = cls(
        config=channel.config, secrets=channel.get_secrets(), http=http, channel_id=channel.pk
    )
    # Platforms that rotate credentials (Bluesky refresh tokens) persist the new ones here.
    instance.save_secrets = functools.partial(save_rotated_secrets, channel_id=channel.pk)  # type: ignore[attr-defined]
    return instance


def save_rotated_secrets(*, channel_id: int, secrets: dict[str, Any]) -> None:
    """Store credentials the platform just rotated, merged over the stored ones.

    A rotated refresh token that is not saved makes the next use fail and the
    channel ask for a reconnect: this is the cure for reconnect loops.
    """
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(pk=channel_id).first()
        if channel is None:
            return
        channel.set_secrets({**channel.get_secrets(), **secrets})
        channel.save(update_fields=["secrets_encrypted"])


def mark_needs_reconnect(*, channel_id: int, message: str) -> None:
    """Stop using a channel until the owner reconnects it; nothing queued is dropped."""
    with transaction.atomic():
        Channel.objects.filter(pk=channel_id).update(
            status=ChannelStatus.NEEDS_RECONNECT, status_message=message
        )


def reconnect(*, channel: Channel, secrets: dict[str, Any]) -> Channel:
    channel_class(channel.kind).validate_config(channel.config, secrets)
    channel.set_secrets(secrets)
    channel.status = ChannelStatus.ACTIVE
    channel.status_message = ""
    channel.save(update_fields=["secrets_encrypted", "status", "status_message"])
    return channel
