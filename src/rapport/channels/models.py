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


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One archive import, started from the upload page or the CLI.

    The row is written only outside the import's own transaction (claim before,
    outcome after), so it never holds SQLite's write lock for long and other
    connections always see a committed state. Live progress while the import
    runs lives elsewhere (``channels/import_progress.py``).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=40)
    file_name = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0)
    # the stored upload under DATA_DIR/uploads, deleted when the job ends; blank
    # for a CLI import, whose file belongs to the user
    upload = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=255, blank=True, default="")
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    via = models.CharField(max_length=10, default="web")
    runner = models.CharField(max_length=255, blank=True, default="")
    posts_created = models.IntegerField(default=0)
    items_created = models.IntegerField(default=0)
    signals_created = models.IntegerField(default=0)
    already_present = models.IntegerField(default=0)
    answered_on_platform = models.IntegerField(default=0)
    orphans = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    skipped_reasons = models.JSONField(default=dict, blank=True)
    summary = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="importjob_recent"),
            models.Index(fields=["state"], name="importjob_state"),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.kind}, {self.file_name}): {self.state}"

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)
