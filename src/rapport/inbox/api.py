"""Items in the JSON API (``/api/w/{slug}/items``): list, get, relabel, mark done.

Every endpoint resolves the workspace through ``workspace_from_api`` first, so a
token of another workspace gets 404 and a viewer gets 403 on writes. Lists are
keyset-paginated by ``(created_at, id)`` oldest first, which suits syncing with
``since``; pass ``next_cursor`` back as ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from rapport.accounts.api import workspace_from_api
from rapport.accounts.models import Role, User
from rapport.errors import NotFound, ValidationError
from rapport.inbox import selectors, services
from rapport.inbox.models import Item, ItemState, Label

router = Router(tags=["items"])


class ItemOut(Schema):
    id: int
    source: str
    source_id: str
    kind: str
    author: str | None
    author_person_id: int | None
    text: str
    url: str
    post_id: int | None
    parent_id: int | None
    is_own: bool
    label: str
    flags: list[str]
    is_duplicate: bool
    confidence: float | None
    state: str
    created_at: datetime
    answered_at: datetime | None
    response_seconds: int | None

    @staticmethod
    def resolve_author(obj: Item) -> str | None:
        return (obj.author.display_name or obj.author.key) if obj.author else None

    @staticmethod
    def resolve_author_person_id(obj: Item) -> int | None:
        return obj.author.person_id if obj.author else None


class ItemDetailOut(ItemOut):
    html: str = Field(description="sanitised HTML")
    reasons: list[str]
    decided_by: str | None = Field(description="model, rule or owner")


class ItemPage(Schema):
    items: list[ItemOut]
    next_cursor: str | None


class ItemFilters(Schema):
    label: Label | None = None
    state: ItemState | None = None
    flag: str | None = Field(None, max_length=40, description="e.g. duplicate, link_spam")
    since: datetime | None = Field(None, description="items created at or after this moment")
    include_own: bool = False
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


class LabelIn(Schema):
    label: Label


class Problem(Schema):
    detail: str


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, pk = raw.rsplit("|", 1)
        return datetime.fromisoformat(created), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError("cursor is not one this API gave out", field="cursor") from None


def _encode(item: Item) -> str:
    raw = f"{item.created_at.isoformat()}|{item.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _filtered(qs: QuerySet[Item], filters: ItemFilters) -> QuerySet[Item]:
    if filters.label is not None:
        qs = qs.filter(label=filters.label)
    if filters.state is not None:
        qs = qs.filter(state=filters.state)
    if filters.flag:
        # flags is a JSON list of strings: match one element exactly, on any database.
        qs = qs.filter(flags__icontains=f'"{filters.flag}"')
    if filters.since is not None:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.cursor:
        created, pk = _decode(filters.cursor)
        qs = qs.filter(created_at__gte=created).filter(Q(created_at__gt=created) | Q(pk__gt=pk))
    return qs


@router.get("/", response={200: ItemPage}, summary="List items")
def list_items(request: HttpRequest, slug: Path[str], filters: Query[ItemFilters]) -> ItemPage:
    workspace = workspace_from_api(request, slug, Role.VIEWER)
    base = Item.objects.filter(workspace=workspace)
    if not filters.include_own:
        base = base.filter(is_own=False)
    qs = _filtered(base, filters).select_related("author").order_by("created_at", "id")
    found = list(qs[: filters.limit + 1])
    page = found[: filters.limit]
    next_cursor = _encode(page[-1]) if len(found) > filters.limit else None
    return ItemPage(items=page, next_cursor=next_cursor)  # type: ignore[arg-type]


def _item(request: HttpRequest, slug: str, item_id: int, role: str) -> Item:
    workspace = workspace_from_api(request, slug, role)
    item = selectors.item_in(workspace=workspace, item_id=item_id)
    if item is None:
        raise NotFound(f"no item {item_id} in workspace {slug!r}")
    return item


def _detail(item: Item) -> Item:
    """The item with the latest decision's reasons attached, for ``ItemDetailOut``."""
    decision = selectors.latest_decision(item)
    item.reasons = list(decision.reasons) if decision else []  # type: ignore[attr-defined]
    item.decided_by = decision.source if decision else None  # type: ignore[attr-defined]
    return item


@router.get("/{item_id}", response={200: ItemDetailOut, 404: Problem}, summary="Get one item")
def get_item(request: HttpRequest, slug: Path[str], item_id: int) -> Item:
    return _detail(_item(request, slug, item_id, Role.VIEWER))


@router.post(
    "/{item_id}/label",
    response={200: ItemDetailOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Correct an item's label (editor)",
)
def relabel_item(request: HttpRequest, slug: Path[str], item_id: int, body: LabelIn) -> Item:
    item = _item(request, slug, item_id, Role.EDITOR)
    user: User = request.auth  # type: ignore[attr-defined]
    return _detail(services.relabel(item=item, label=body.label, user=user))


@router.post(
    "/{item_id}/done",
    response={200: ItemDetailOut, 403: Problem, 404: Problem},
    summary="Mark an item done (editor)",
)
def mark_item_done(request: HttpRequest, slug: Path[str], item_id: int) -> Item:
    item = _item(request, slug, item_id, Role.EDITOR)
    user: User = request.auth  # type: ignore[attr-defined]
    return _detail(services.mark_done(item=item, user=user))
