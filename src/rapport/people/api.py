"""People in the JSON API (``/api/w/{slug}/people``): the list, most recent first."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from rapport.accounts.api import workspace_from_api
from rapport.accounts.models import Role
from rapport.people import selectors

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    display_name: str
    roles: list[str]
    interactions: int
    last_interaction_at: datetime | None
    strength: float
    platforms: list[str]


class PeoplePage(Schema):
    people: list[PersonOut]
    next_cursor: str | None


class PeopleFilters(Schema):
    q: str = Field("", max_length=200, description="search names, handles and e-mail")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


@router.get("/", response={200: PeoplePage}, summary="List people")
def list_people(request: HttpRequest, slug: Path[str], filters: Query[PeopleFilters]) -> PeoplePage:
    workspace = workspace_from_api(request, slug, Role.VIEWER)
    page = selectors.people_page(
        workspace=workspace, query=filters.q, after=filters.cursor, limit=filters.limit
    )
    people = [
        PersonOut(
            id=row.person.pk,
            display_name=row.person.display_name,
            roles=list(row.person.roles),
            interactions=row.person.interactions,
            last_interaction_at=row.person.last_interaction_at,
            strength=row.person.strength,
            platforms=row.platforms,
        )
        for row in page.rows
    ]
    return PeoplePage(people=people, next_cursor=page.next_cursor)
