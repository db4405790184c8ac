"""People are the asset: one human behind any number of platform identities."""

from __future__ import annotations

from django.db import models

from rapport.accounts.models import Workspace


class PersonRole(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    PROSPECT = "prospect", "Prospect"
    SUPPORTER = "supporter", "Supporter"
    INFLUENCER = "influencer", "Influencer"
    PEER = "peer", "Peer"


class Person(models.Model):
    # no index of its own: ``person_recent`` leads with the workspace
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="people", db_index=False
    )
    display_name = models.CharField(max_length=200)
    roles = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, default="")
    is_self = models.BooleanField(default=False, help_text="the workspace's own accounts")
    strength = models.FloatField(default=0.0)
    interactions = models.PositiveIntegerField(default=0)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-last_interaction_at"], name="person_recent"),
        ]

    def __str__(self) -> str:
        return self.display_name


class Identity(models.Model):
    """A handle on one platform; ``key`` is that platform's stable id for it."""

    # no index of its own: the unique key leads with the workspace
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="identities", db_index=False
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identities")
    platform = models.CharField(max_length=40)
    key = models.CharField(max_length=300)
    display_name = models.CharField(max_length=200, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    url = models.URLField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "key"], name="identity_key_per_platform"
            )
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.display_name or self.key} on {self.platform}"
