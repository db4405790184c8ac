"""Items and the people who write them, for the desk's tests (inbox, people, reports)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from rapport.accounts.models import Workspace
from rapport.inbox.models import Item
from rapport.people.models import Identity, Person
from rapport.publish.models import Post

_ids = itertools.count(1)


def make_identity(workspace: Workspace, name: str = "Ana", *, platform: str = "wxr") -> Identity:
    person = Person.objects.create(
        workspace=workspace, display_name=name, interactions=1, last_interaction_at=timezone.now()
    )
    return Identity.objects.create(
        workspace=workspace,
        person=person,
        platform=platform,
        key=f"{name.lower().replace(' ', '.')}@example.com",
        display_name=name,
    )


def make_post(workspace: Workspace, title: str = "Sourdough basics") -> Post:
    return Post.objects.create(
        workspace=workspace,
        title=title,
        text="How we bake our sourdough.",
        url="https://blog.example.com/sourdough",
        source="wxr:blog.example.com",
        source_id=f"post-{next(_ids)}",
        status="imported",
    )


def make_item(
    workspace: Workspace,
    text: str = "When do you open on Sunday?",
    *,
    label: str = "needs_reply",
    age: timedelta = timedelta(hours=1),
    created_at: datetime | None = None,
    author: Identity | None = None,
    **fields: Any,
) -> Item:
    number = next(_ids)
    defaults: dict[str, Any] = {
        "source": "wxr:blog.example.com",
        "source_id": str(number),
        "html": f"<p>{text}</p>",
        "text": text,
        "url": f"https://blog.example.com/sourdough#comment-{number}",
        "confidence": 0.9,
    }
    defaults.update(fields)
    return Item.objects.create(
        workspace=workspace,
        label=label,
        author=author,
        created_at=created_at or timezone.now() - age,
        **defaults,
    )
