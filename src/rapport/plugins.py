"""Loads the built-in plugins and any installed in the ``rapport`` entry-point group.

``RAPPORT_LOAD_PLUGINS`` (comma-separated module or entry-point names) is an
allow-list: when set, only those plugins load, built-in ones included.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from importlib.metadata import entry_points

import pluggy

from rapport import hookspecs

DEFAULT_PLUGINS: tuple[str, ...] = (
    "rapport.channels.builtin.feed",
    "rapport.channels.builtin.webhook",
    "rapport.channels.builtin.fake",
    "rapport.channels.builtin.newsletter",
    "rapport.channels.platforms.rss",
    "rapport.channels.platforms.wordpress",
    "rapport.channels.platforms.mastodon",
    "rapport.channels.platforms.bluesky",
    "rapport.channels.importers.wxr",
    "rapport.channels.importers.disqus",
    "rapport.channels.importers.mastodon",
    "rapport.channels.importers.x",
    "rapport.channels.importers.bluesky",
    "rapport.triage.default",
    "rapport.cli.commands",
    "rapport.accounts.cli",
    "rapport.channels.cli",
    "rapport.channels.importers.cli",
    "rapport.channels.sync_cli",
    "rapport.inbox.cli",
    "rapport.triage.cli",
    "rapport.publish.cli",
)


@cache
def get_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("rapport")
    pm.add_hookspecs(hookspecs)
    raw = os.environ.get("RAPPORT_LOAD_PLUGINS")
    allow = {name.strip() for name in raw.split(",") if name.strip()} if raw is not None else None
    for module_name in DEFAULT_PLUGINS:
        if allow is None or module_name in allow:
            pm.register(importlib.import_module(module_name), module_name)
    for ep in entry_points(group="rapport"):
        if (allow is None or ep.name in allow) and pm.get_plugin(ep.name) is None:
            pm.register(ep.load(), ep.name)
    return pm
