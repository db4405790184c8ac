"""The composer form: parses input; the rules live in ``services``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from rapport.accounts.models import Workspace
from rapport.channels.models import Channel
from rapport.errors import ValidationError
from rapport.publish.media import MAX_UPLOAD_BYTES, ImageUpload, check_image
from rapport.publish.services import When

IMAGE_SLOTS = 4  # what Mastodon and Bluesky take; the API and CLI take up to media.MAX_IMAGES


class SlotForm(forms.Form):
    channel = forms.ChoiceField()
    weekday = forms.ChoiceField(
        choices=list(
            enumerate(
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            )
        )
    )
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args: Any, channels: list[Channel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)  # declared above
        channel_field.choices = [(str(c.pk), c.name) for c in channels]


class ComposeForm(forms.Form):
    title = forms.CharField(max_length=500, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="Post (Markdown)")
    channels = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)
    when = forms.ChoiceField(
        choices=[
            ("now", "Now"),
            ("queue", "Add to each channel's queue"),
            ("next", "Share next (first slot; the queue moves down)"),
            ("at", "At a time"),
        ],
        initial="now",
        widget=forms.RadioSelect,
    )
    at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        label="Time (workspace time zone)",
    )
    track_links = forms.BooleanField(required=False, label="Track clicks on links")
    await_approval = forms.BooleanField(required=False, label="Ask an owner to approve first")

    def __init__(self, *args: Any, workspace: Workspace, channels: list[Channel], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.channel_list = channels
        self.checked_images: list[tuple[int, ImageUpload]] = []
        channels_field = self.fields["channels"]
        assert isinstance(channels_field, forms.ChoiceField)  # declared above
        channels_field.choices = [(str(c.pk), f"{c.name} ({c.kind})") for c in channels]
        for n in range(1, IMAGE_SLOTS + 1):
            self.fields[f"image_{n}"] = forms.FileField(
                required=False,
                label=f"Image {n}",
                widget=forms.ClearableFileInput(
                    attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
                ),
            )
            self.fields[f"alt_{n}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=f"Alt text of image {n} (what it shows, for people who cannot see it)",
            )
        for channel in channels:
            self.fields[f"variant_{channel.pk}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                label=f"Text for {channel.name} (empty: from the post)",
            )
            for n in range(1, IMAGE_SLOTS + 1):
                self.fields[f"alt_{n}_{channel.pk}"] = forms.CharField(
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 1}),
                    label=f"Alt text of image {n} on {channel.name} (empty: the same)",
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "at" and not data.get("at"):
            self.add_error("at", "pick a time, or choose 'Now'")
        self.checked_images = []
        for n in range(1, IMAGE_SLOTS + 1):
            upload = data.get(f"image_{n}")
            if not upload:
                continue
            if upload.size > MAX_UPLOAD_BYTES:  # refused before reading it into memory
                self.add_error(
                    f"image_{n}",
                    f"image {upload.name!r} is {upload.size / 1_000_000:.1f} MB; images may be "
                    f"at most {MAX_UPLOAD_BYTES / 1_000_000:.1f} MB",
                )
                continue
            try:
                image = check_image(upload.name, upload.read(), alt=data.get(f"alt_{n}") or "")
            except ValidationError as exc:
                self.add_error(f"image_{n}", str(exc))
                continue
            self.checked_images.append((n, image))
        return data

    def images(self) -> list[ImageUpload]:
        """The uploaded images, checked, in slot order (empty slots skipped)."""
        return [image for _, image in self.checked_images]

    def alt_variants(self) -> dict[int, dict[int, str]]:
        """Channel id → {image index → alt text} where a channel's alt text differs."""
        found: dict[int, dict[int, str]] = {}
        for index, (n, _) in enumerate(self.checked_images):
            for channel in self.channel_list:
                alt = (self.cleaned_data.get(f"alt_{n}_{channel.pk}") or "").strip()
                if alt:
                    found.setdefault(channel.pk, {})[index] = alt
        return found

    def when_value(self) -> When:
        if self.cleaned_data.get("when") in ("queue", "next"):
            return self.cleaned_data["when"]
        if self.cleaned_data.get("when") != "at":
            return "now"
        at: datetime = self.cleaned_data["at"]
        zone = ZoneInfo(self.workspace.timezone or "UTC")
        return at.replace(tzinfo=None).replace(tzinfo=zone)

    def channel_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("channels", [])]

    def variants(self) -> dict[int, str]:
        found = {}
        for channel in self.channel_list:
            text = (self.cleaned_data.get(f"variant_{channel.pk}") or "").strip()
            if text:
                found[channel.pk] = text
        return found
