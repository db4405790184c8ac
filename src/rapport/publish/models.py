"""Posts the workspace publishes (or imported from its blog) and their deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from rapport.accounts.models import Workspace
from rapport.channels.models import Channel


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    IMPORTED = "imported", "Imported"


class Post(models.Model):
    """A piece of the workspace's own content.

    Composed posts have ``body`` (Markdown) and deliveries; imported posts (a
    blog's articles from an archive or a feed) carry ``source``/``source_id`` so
    that re-imports find them and comments can point at them.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(max_length=500, blank=True, default="")
    body = models.TextField(blank=True, default="")
    text = models.TextField(blank=True, default="", help_text="plain text, for triage")
    url = models.URLField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT)
    source = models.CharField(max_length=200, blank=True, default="")
    source_id = models.CharField(max_length=300, blank=True, default="")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "source_id"],
                condition=~models.Q(source_id=""),
                name="post_source_id_unique",
            )
        ]
        indexes = [models.Index(fields=["workspace", "status", "-published_at"], name="post_feed")]

    def __str__(self) -> str:
        return self.title or self.text[:60] or f"post {self.pk}"


class DeliveryStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    HELD = "held", "Held (channel needs reconnect)"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One post to one channel. ``idempotency_key`` makes a retry safe."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    body = models.TextField(blank=True, default="", help_text="this channel's variant")
    html = models.TextField(
        blank=True, default="", help_text="HTML variant, pinned at compose time (publish 0005)"
    )
    parts = models.JSONField(
        default=list, blank=True, help_text="the text as a thread, when too long for one post"
    )
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.SCHEDULED
    )
    due_at = models.DateTimeField()
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    remote_id = models.CharField(max_length=300, blank=True, default="")
    remote_url = models.URLField(max_length=1000, blank=True, default="")
    error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    media = models.JSONField(
        default=list, blank=True, help_text='this channel\'s images: [{"image": id, "alt": "..."}]'
    )
    card = models.JSONField(
        default=dict, blank=True, help_text="link preview read at compose (uri, title, ...)"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="one_delivery_per_channel")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="delivery_due")]
        verbose_name_plural = "deliveries"


def _image_path(instance: PostImage, filename: str) -> str:
    return f"posts/{instance.token[:2]}/{instance.token}{instance.extension}"


class PostImage(models.Model):
    """An image of a composed post, checked (real image, size, pixels) when it was uploaded.

    The file lives in Django's default storage (``MEDIA_ROOT`` under the data
    directory); ``token`` is its unguessable public name at ``/m/<token><ext>``,
    where feeds and newsletters point. ``alt`` is the default alt text; each
    delivery pins its own copy (``Delivery.media``), editable per channel.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=_image_path, max_length=200)
    token = models.CharField(max_length=43, unique=True)
    name = models.CharField(max_length=200, help_text="the uploaded file's name")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt = models.TextField(blank=True, default="")
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="image_position_per_post")
        ]
        ordering = ["position"]

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, ".bin")

    def __str__(self) -> str:
        return self.name


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}


class Link(models.Model):
    """A tracked link: ``/l/<code>`` redirects to ``url`` and counts clicks."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="links")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL)
    code = models.CharField(max_length=16, unique=True)
    url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)


class Click(models.Model):
    """Day-level click counts; no personal data beyond the referrer's domain."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="clicks")
    day = models.DateField()
    referrer_domain = models.CharField(max_length=200, blank=True, default="")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "day", "referrer_domain"], name="click_per_day_referrer"
            )
        ]


class QueueSlot(models.Model):
    """A weekly time at which a channel's queue publishes, in the workspace's time zone.

    Stored as a local weekday and wall-clock time (not UTC) so that a 09:00 slot
    stays at 09:00 across daylight-saving changes.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="queue_slots")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday ... 6 = Sunday")
    time = models.TimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "weekday", "time"], name="one_slot_per_time")
        ]
        ordering = ["weekday", "time"]


class Conversion(models.Model):
    """A sale or sign-up a shop or form reported for a tracked link (``POST /api/conversions``).

    ``external_id`` (the shop's order or sign-up id) makes a re-sent report count once.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversions")
    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=40, default="conversion")
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    external_id = models.CharField(max_length=200)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="conversion_once_per_external_id"
            )
        ]


class Subscriber(models.Model):
    """Someone on a newsletter channel's list; ``token`` is their unsubscribe link."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="subscribers")
    email = models.EmailField()
    token = models.CharField(max_length=43, unique=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "email"], name="subscriber_once_per_list")
        ]


class NewsletterSend(models.Model):
    """One newsletter delivery sent to one subscriber: a retry skips those already sent."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="sends")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "subscriber"], name="send_once_per_subscriber"
            )
        ]
