"""A channel is one account on one platform, driven by a plugin of its ``kind``."""

from __future__ import annotations

from typing import Any

from django.db import models

from rapport.accounts.models import Workspace
from rapport.crypto import decrypt_json, encrypt_json


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    DISABLED = "disabled", "Disabled"


class Channel(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    config = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE
    )
    status_message = models.TextField(blank=True, default="")
    cursor = models.TextField(blank=True, default="")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="channel_name_per_workspace")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def source_key(self) -> str:
        """The ``Item.source`` value for items fetched through this channel."""
        return f"channel:{self.pk}"

    def get_secrets(self) -> dict[str, Any]:
        return decrypt_json(self.secrets_encrypted)

    def set_secrets(self, value: dict[str, Any]) -> None:
        self.secrets_encrypted = encrypt_json(value) if value else ""
