from __future__ import annotations

import pytest

from rapport.plugins import DEFAULT_PLUGINS, get_plugin_manager


@pytest.fixture
def fresh_manager(monkeypatch):
    get_plugin_manager.cache_clear()
    yield monkeypatch
    get_plugin_manager.cache_clear()


def test_all_builtin_plugins_load(fresh_manager):
    fresh_manager.delenv("RAPPORT_LOAD_PLUGINS", raising=False)
    names = {name for name, _ in get_plugin_manager().list_name_plugin()}
    assert set(DEFAULT_PLUGINS) <= names


def test_allow_list_limits_what_loads(fresh_manager):
    fresh_manager.setenv("RAPPORT_LOAD_PLUGINS", "rapport.cli.commands")
    names = {name for name, _ in get_plugin_manager().list_name_plugin()}
    assert names == {"rapport.cli.commands"}


def test_every_builtin_plugin_implements_a_hook(fresh_manager):
    fresh_manager.delenv("RAPPORT_LOAD_PLUGINS", raising=False)
    pm = get_plugin_manager()
    for name in DEFAULT_PLUGINS:
        plugin = pm.get_plugin(name)
        assert pm.get_hookcallers(plugin), f"{name} registers nothing"
