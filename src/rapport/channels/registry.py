"""Which channel kinds and importers exist: asked of the plugin manager once."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from rapport.errors import NotFound
from rapport.plugins import get_plugin_manager

if TYPE_CHECKING:
    from rapport.channels.base import Channel
    from rapport.channels.importers.base import Importer


@cache
def channel_classes() -> dict[str, type[Channel]]:
    found: dict[str, type[Channel]] = {}
    get_plugin_manager().hook.register_channels(
        register=lambda cls: found.setdefault(cls.kind, cls)
    )
    return found


@cache
def importer_classes() -> dict[str, type[Importer]]:
    found: dict[str, type[Importer]] = {}
    get_plugin_manager().hook.register_importers(
        register=lambda cls: found.setdefault(cls.kind, cls)
    )
    return found


def channel_class(kind: str) -> type[Channel]:
    try:
        return channel_classes()[kind]
    except KeyError:
        known = ", ".join(sorted(channel_classes()))
        raise NotFound(f"unknown channel kind {kind!r}; installed kinds: {known}") from None


def importer_class(kind: str) -> type[Importer]:
    try:
        return importer_classes()[kind]
    except KeyError:
        known = ", ".join(sorted(importer_classes()))
        raise NotFound(f"unknown import format {kind!r}; installed formats: {known}") from None
