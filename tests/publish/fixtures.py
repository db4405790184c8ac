"""Fixtures shared by tests/publish and tests/channels (import them with ``*``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rapport.channels.builtin.fake import FakePlatform

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture(autouse=True)
def fresh_fake_platforms() -> Iterator[None]:
    FakePlatform.reset()
    yield
    FakePlatform.reset()


@pytest.fixture
def allow_private(settings: Any) -> None:
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = True


@pytest.fixture
def fake_channel(workspace: Any) -> Any:
    from rapport.channels.services import add_channel

    return add_channel(
        workspace=workspace, kind="fake", name="Fake", config={"platform": "t"}, secrets={}
    )


@pytest.fixture
def feed_channel(workspace: Any) -> Any:
    from rapport.channels.services import add_channel

    return add_channel(workspace=workspace, kind="feed", name="Blog feed", config={}, secrets={})


@pytest.fixture
def webhook_peer() -> Iterator[Any]:
    from tests.publish.webhook_peer import WebhookPeer

    with WebhookPeer(SECRET) as peer:
        yield peer


@pytest.fixture
def webhook_channel(workspace: Any, webhook_peer: Any, allow_private: None) -> Any:
    from rapport.channels.services import add_channel

    return add_channel(
        workspace=workspace,
        kind="webhook",
        name="Hook",
        config={"url": webhook_peer.url},
        secrets={"secret": SECRET},
    )


def member(workspace: Any, role: str) -> Any:
    from rapport.accounts.services import create_user

    user, _ = create_user(
        email=f"{role}@example.com", workspace=workspace, role=role, password="correct horse 42"
    )
    return user


@pytest.fixture
def login_as(client: Any, workspace: Any) -> Any:
    def login(role: str) -> Any:
        client.force_login(member(workspace, role))
        return client

    return login


@pytest.fixture
def api_as(client: Any, workspace: Any) -> Any:
    """A function giving (client, headers) for an API call as a member with ``role``."""
    from rapport.accounts.models import ApiToken

    def headers(role: str) -> dict[str, str]:
        _, token = ApiToken.issue(user=member(workspace, role))
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return headers


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploaded images go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def bluesky(workspace: Any) -> Any:
    """A Bluesky channel nobody answers (port 9): compose-time checks only."""
    from rapport.channels.services import add_channel

    return add_channel(
        workspace=workspace,
        kind="bluesky",
        name="Sky",
        config={"handle": "shop.test", "service": "http://127.0.0.1:9"},
        secrets={"app_password": "x"},
    )
