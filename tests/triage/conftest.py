from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def make_item(workspace):  # type: ignore[no-untyped-def]
    """Create an Item row directly: ``make_item("text", minutes=3, post=..., author=...)``."""
    from rapport.inbox.models import Item

    numbers = count(1)

    def make(text: str, *, minutes: float = 0, **fields: object) -> Item:
        n = next(numbers)
        return Item.objects.create(
            workspace=workspace,
            source="test",
            source_id=f"c{n}",
            created_at=T0 + timedelta(minutes=minutes or n),
            text=text,
            **fields,
        )

    return make


@pytest.fixture
def make_post(workspace) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    from rapport.publish.models import Post

    def make(text: str) -> Post:
        return Post.objects.create(workspace=workspace, title="A post", text=text)

    return make


@pytest.fixture
def make_author(workspace):  # type: ignore[no-untyped-def]
    from rapport.people.models import Identity, Person

    def make(handle: str) -> Identity:
        person = Person.objects.create(workspace=workspace, display_name=handle)
        return Identity.objects.create(
            workspace=workspace, person=person, platform="test", key=handle, display_name=handle
        )

    return make
