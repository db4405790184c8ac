"""Time the owner spends at the desk, measured against their daily budget."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rapport.accounts.models import Workspace


class FocusSession(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="focus")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    seconds = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["workspace", "user", "-started_at"], name="focus_recent")]
