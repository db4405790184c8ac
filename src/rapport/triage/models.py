"""Triage decisions: one label, any flags, a confidence and reasons in words."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rapport.inbox.models import Item, Label


class DecisionSource(models.TextChoices):
    MODEL = "model", "Model"
    RULE = "rule", "Rule"
    OWNER = "owner", "Owner"


class TriageDecision(models.Model):
    """The history of labels for an item; the newest one is mirrored on the item.

    A decision with ``source=owner`` is a correction: triage re-runs never
    overwrite it and workspace models learn from it.
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="decisions")
    label = models.CharField(max_length=20, choices=Label.choices)
    flags = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=1.0)
    reasons = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=DecisionSource.choices)
    model_version = models.CharField(max_length=100, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["item", "-created_at"], name="decision_latest")]
