"""Items: everything people wrote to or about the workspace, with its thread."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rapport.accounts.models import Workspace
from rapport.channels.models import Channel
from rapport.people.models import Identity
from rapport.publish.models import Post


class ItemKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    REPLY = "reply", "Reply"
    MENTION = "mention", "Mention"
    QUOTE = "quote", "Quote"
    MESSAGE = "message", "Direct message"


class ItemState(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    DONE = "done", "Done"


class Label(models.TextChoices):
    NEEDS_REPLY = "needs_reply", "Needs reply"
    CONVERSATION = "conversation", "Conversation"
    APPRECIATION = "appreciation", "Appreciation"
    SPAM = "spam", "Spam"


def _where_set(field: str) -> models.Index:
    """An index of the rows where ``field`` is set: the look-ups ask for a value, never null."""
    return models.Index(
        fields=[field], name=f"item_{field}", condition=Q(**{f"{field}__isnull": False})
    )


class Item(models.Model):
    """One comment, reply, mention or message.

    ``source`` names where it came from (``channel:<id>`` or an archive such as
    ``wxr:blog.example.com``) and ``source_id`` is that platform's own id, so a
    re-import or re-fetch finds the same row. ``label``/``flags``/``confidence``
    mirror the current triage decision so that the inbox query needs no join.
    """

    # Indexes are what an import pays for per row, so each one earns its place:
    # ``workspace`` is led by the compound indexes below, and the mostly empty
    # links (channel, parent, root, assignee) get partial indexes of their rows.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    channel = models.ForeignKey(
        Channel,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        db_index=False,
    )
    source = models.CharField(max_length=200)
    source_id = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=ItemKind.choices, default=ItemKind.COMMENT)
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        db_index=False,
    )
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        help_text="first item of the thread; null when this item starts it",
    )
    author = models.ForeignKey(
        Identity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        db_index=False,  # item_author: newest first for a person's page
    )
    html = models.TextField(blank=True, default="", help_text="sanitised with nh3")
    text = models.TextField(blank=True, default="")
    url = models.URLField(max_length=1000, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="")
    is_own = models.BooleanField(default=False)
    signals = models.JSONField(default=dict, blank=True, help_text="platform hints, e.g. spam")
    created_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    state = models.CharField(max_length=10, choices=ItemState.choices, default=ItemState.OPEN)
    answered_at = models.DateTimeField(null=True, blank=True)
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )

    label = models.CharField(max_length=20, choices=Label.choices, blank=True, default="")
    flags = models.JSONField(default=list, blank=True)
    is_duplicate = models.BooleanField(default=False)
    confidence = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "source_id"], name="item_source_id_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "state", "label", "is_duplicate", "created_at"],
                name="inbox_queue",
            ),
            models.Index(fields=["workspace", "created_at"], name="item_recent"),
            models.Index(
                fields=["workspace", "answered_at"],
                name="item_answered",
                condition=Q(answered_at__isnull=False),
            ),
            models.Index(fields=["author", "-created_at"], name="item_author"),
            _where_set("channel"),
            _where_set("parent"),
            _where_set("root"),
            _where_set("assigned_to"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class SignalKind(models.TextChoices):
    LIKE = "like", "Like"
    BOOST = "boost", "Boost"
    FOLLOW = "follow", "Follow"


class Signal(models.Model):
    """Likes, boosts and follows: counted, never shown as messages to answer."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="signals")
    source = models.CharField(max_length=200)
    source_id = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=SignalKind.choices)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL)
    author = models.ForeignKey(Identity, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "source_id"], name="signal_source_id_unique"
            )
        ]


class SavedReply(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(max_length=100)
    body = models.TextField()

    class Meta:
        verbose_name_plural = "saved replies"
