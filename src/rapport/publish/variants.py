"""Fitting a variant to a channel: its length limit, or a thread where it can thread."""

from __future__ import annotations

from rapport.channels.models import Channel
from rapport.channels.registry import channel_class
from rapport.errors import ValidationError
from rapport.publish.render import length, split_thread


def variant_for(channel: Channel, text: str) -> tuple[str, list[str]]:
    """The text ``channel`` gets and, when it must be a thread, its parts.

    Raises a ValidationError saying by how much it is too long, or why it
    cannot be split, at compose time rather than at delivery time.
    """
    cls = channel_class(channel.kind)
    limit = cls.max_length
    measure = getattr(cls, "text_length", None) or length  # a platform's own counting rule
    if limit is None or measure(text) <= limit:
        return text, []
    if getattr(cls, "can_thread", False):
        try:
            return text, split_thread(text, limit, measure=measure)
        except ValueError as exc:
            raise ValidationError(
                f"too long for {channel.name} and cannot be split into a thread: {exc}",
                field=f"variant_{channel.pk}",
            ) from None
    raise ValidationError(
        f"too long for {channel.name}: {measure(text)} of {limit} characters; "
        "shorten the post or edit that channel's variant",
        field=f"variant_{channel.pk}",
    )
