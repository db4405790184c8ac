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


class TextFingerprint(models.Model):
    """The workspace-wide duplicate index: a few 64-bit keys per item.

    One exact key (the normalised text) and a few MinHash band keys (near
    duplicates). Kept in the database rather than in memory so that any number
    of workers share it and a million items cost no RAM; looked up per batch.
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()
    exact = models.BooleanField(default=True)
    author_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["workspace", "key"], name="fingerprint_key")]


class WorkspaceModel(models.Model):
    """A workspace's own model, fitted on its owner's corrections on top of the base one.

    Stored in the database (numpy ``.npz`` bytes, never pickle) so that every
    worker on every machine uses the same one. Only the newest row with
    ``is_active`` is used; a new fit becomes active only when it beat the
    current model on held-out corrections (``metrics`` records both scores).
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="triage_models"
    )
    version = models.CharField(max_length=100)
    base_version = models.CharField(max_length=100)
    weights = models.BinaryField()
    metrics = models.JSONField(default=dict, blank=True)
    corrections = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "is_active", "-created_at"], name="workspace_model")
        ]
