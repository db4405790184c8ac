"""The plugin hooks. Built-in channels, importers and classifiers use them too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import pluggy

hookspec = pluggy.HookspecMarker("rapport")
hookimpl = pluggy.HookimplMarker("rapport")


@hookspec
def register_channels(register: Callable[[type[Any]], None]) -> None:
    """Register channel classes (subclasses of ``rapport.channels.base.Channel``)."""


@hookspec
def register_importers(register: Callable[[type[Any]], None]) -> None:
    """Register archive importer classes (subclasses of ``rapport.channels.importers.base.Importer``)."""


@hookspec
def register_classifiers(register: Callable[[type[Any]], None]) -> None:
    """Register triage classifier classes (see ``rapport.triage.types.Classifier``)."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add Click commands or groups to the ``rapport`` CLI."""
