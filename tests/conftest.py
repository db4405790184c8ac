"""Shared fixtures. The same suite runs on SQLite and on PostgreSQL (DATABASE_URL).

With CI=true the tests that need PostgreSQL, Redis or Chromium must run: a
missing server fails them instead of skipping them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_or_skip(reason: str) -> None:
    """Skip with ``reason`` locally; fail in CI, where nothing may be skipped."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _huey_immediate() -> Iterator[None]:
    """Tasks run inline in tests (huey's immediate mode); the e2e tests use a real worker."""
    huey = settings.HUEY
    previous = huey.immediate
    huey.immediate = True
    yield
    huey.immediate = previous


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only 127.0.0.1 (and the local socket) may be reached from tests."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if host not in {"127.0.0.1", "::1", "localhost"} and not host.startswith("127."):
                raise OSError(f"tests may not reach the network ({host})")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def redis_url() -> str:
    if not port_open("127.0.0.1", 6379):
        require_or_skip("Redis is not running on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


@pytest.fixture
def workspace(db):  # type: ignore[no-untyped-def]
    from rapport.accounts.services import create_workspace

    return create_workspace(slug="acme", name="Acme Bakery")


@pytest.fixture
def owner(workspace):  # type: ignore[no-untyped-def]
    from rapport.accounts.services import create_user

    user, _ = create_user(
        email="owner@example.com", workspace=workspace, role="owner", password="correct horse 42"
    )
    return user


@pytest.fixture
def owner_client(client, owner):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    return client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Let concurrent runs on one machine use separate test databases.

    ``RAPPORT_TEST_DB_SUFFIX=abc`` makes the test database ``test_<name>_abc``.
    """
    suffix = os.environ.get("RAPPORT_TEST_DB_SUFFIX")
    if suffix:
        test = settings.DATABASES["default"].setdefault("TEST", {})
        base = test.get("NAME") or "test_" + str(settings.DATABASES["default"]["NAME"])
        test["NAME"] = f"{base}_{suffix}"


@pytest.fixture
def mastodon_mock_config(tmp_path_factory: pytest.TempPathFactory) -> object:
    """mastodon-mock's default test config, with its uploaded media under pytest's
    temporary folders (cleaned by pytest) instead of a new folder in /tmp per server."""
    try:  # its own default, so that only the media folder differs
        from mastodon_mock.testing.server import _default_config
    except ImportError:  # a later mastodon-mock: keep its default, folder and all
        return None
    config = _default_config()
    config.media_storage_path = str(tmp_path_factory.mktemp("mastodon-media"))
    return config
