"""Inbox pages. Thin: access through ``workspace_for``, reads from selectors, writes
through services. htmx requests get a partial, plain requests the whole page or a
redirect, so every action works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.accounts.models import Membership, Role, Workspace
from rapport.errors import ValidationError
from rapport.inbox import selectors, services
from rapport.inbox.forms import AcknowledgeForm, LabelForm, ReplyForm
from rapport.inbox.models import Item, Label
from rapport.inbox.selectors import TAB_TITLES, Cursor, Row, Tab, TabCounts
from rapport.web.access import workspace_for
from rapport.web.http import HtmxHttpRequest

_SECTION = {0: "Needs reply", 1: "Conversation", 2: "Not triaged yet"}


def _tab(value: str | None) -> Tab:
    try:
        return Tab(value or Tab.MAIN)
    except ValueError:
        raise Http404("no such tab") from None


def _groups(tab: Tab, rows: list[Row], after: str | None) -> list[tuple[str | None, list[Row]]]:
    """Rows split under section headings; a heading is not repeated on the next page."""
    previous = Cursor.decode(after).rank if after and tab == Tab.MAIN else None
    groups: list[tuple[str | None, list[Row]]] = []
    for row in rows:
        if groups and groups[-1][1][-1].rank == row.rank:
            groups[-1][1].append(row)
            continue
        title = _SECTION.get(row.rank) if tab == Tab.MAIN and row.rank != previous else None
        groups.append((title, [row]))
    return groups


def _badge(count: int, cap: int) -> str:
    return "" if not count else f"{cap}+" if count >= cap else str(count)


def _tab_links(counts: TabCounts) -> list[tuple[str, str, str]]:
    badges = {
        Tab.MAIN: _badge(min(counts.cap, counts.needs_reply + counts.conversation), counts.cap),
        Tab.APPRECIATION: _badge(counts.appreciation, counts.cap),
        Tab.SPAM: _badge(counts.spam, counts.cap),
        Tab.DONE: "",
    }
    return [(tab.value, title, badges[tab]) for tab, title in TAB_TITLES.items()]


def _queue_context(
    request: HtmxHttpRequest, workspace: Workspace, membership: Membership, tab: Tab
) -> dict[str, Any]:
    """Everything the queue needs; a "Show more" partial skips the counts and headings."""
    now = timezone.now()
    after = request.GET.get("after") or None
    partial = bool(request.htmx and after)
    page = selectors.queue_page(workspace=workspace, tab=tab, now=now, after=after)
    counts = None if partial else selectors.tab_counts(workspace=workspace, now=now)
    inbox_url = reverse("inbox:index", args=[workspace.slug])
    return {
        "workspace": workspace,
        "section": "inbox",
        "tab": tab,
        "tab_links": _tab_links(counts) if counts else [],
        "page": page,
        "groups": _groups(tab, page.rows, after if partial else None),
        "partial": partial,
        "counts": counts,
        "can_edit": membership.allows(Role.EDITOR),
        "seen_at": now.isoformat(),
        "inbox_url": inbox_url,
        "back": f"{inbox_url}?tab={tab.value}",
        "target_hours": workspace.response_target_hours,
    }


@login_required
def index(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    workspace, membership = workspace_for(request, slug)
    tab = _tab(request.GET.get("tab"))
    try:
        context = _queue_context(request, workspace, membership, tab)
    except ValidationError as exc:
        return HttpResponseBadRequest(str(exc))
    template = "inbox/index.html"
    if context["partial"]:
        template += "#rows"
    return render(request, template, context)


@login_required
@require_POST
def acknowledge_all(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    workspace, membership = workspace_for(request, slug, Role.EDITOR)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("the page was too old; reload it and try again")
    count = services.acknowledge_appreciation(
        workspace=workspace,
        user=request.user,  # type: ignore[arg-type]  # login_required: never anonymous
        seen_at=form.cleaned_data["seen_at"],
    )
    note = f"Acknowledged {count} thank-you message{'s' if count != 1 else ''}."
    if request.htmx:
        context = _queue_context(request, workspace, membership, Tab.APPRECIATION)
        return render(request, "inbox/index.html#queue", {**context, "note": note})
    messages.success(request, note)
    return redirect(reverse("inbox:index", args=[slug]) + "?tab=appreciation")


def _item_or_404(workspace: Workspace, item_id: int) -> Item:
    item = selectors.item_in(workspace=workspace, item_id=item_id)
    if item is None:
        raise Http404("no such item")
    return item


def _item_context(workspace: Workspace, membership: Membership, item: Item) -> dict[str, Any]:
    now = timezone.now()
    return {
        "workspace": workspace,
        "section": "inbox",
        "view": selectors.item_view(item=item, now=now),
        "next_item": selectors.next_waiting(workspace=workspace, current=item, now=now),
        "can_edit": membership.allows(Role.EDITOR),
        "labels": Label.choices,
        "reply_form": ReplyForm(),
    }


@login_required
def item_detail(request: HtmxHttpRequest, slug: str, item_id: int) -> HttpResponse:
    workspace, membership = workspace_for(request, slug)
    item = _item_or_404(workspace, item_id)
    return render(request, "inbox/item.html", _item_context(workspace, membership, item))


def _after_action(
    request: HtmxHttpRequest,
    workspace: Workspace,
    membership: Membership,
    item: Item,
    note: str,
    *,
    error: bool = False,
    reply_form: ReplyForm | None = None,
) -> HttpResponse:
    if request.htmx:
        if request.POST.get("from") == "list":
            return HttpResponse("")  # the row leaves the queue
        context = _item_context(workspace, membership, item)
        context.update(note=note, note_is_error=error)
        if reply_form is not None:
            context["reply_form"] = reply_form
        # 200 even for an error: htmx 2 does not swap 4xx answers, and the note
        # (role=alert) must replace the panel for the owner to see it.
        return render(request, "inbox/item.html#item", context)
    (messages.error if error else messages.success)(request, note)
    if request.POST.get("from") == "list":
        back = request.POST.get("back", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
            back = reverse("inbox:index", args=[workspace.slug])
        return redirect(back)
    return redirect("inbox:item", workspace.slug, item.pk)


@login_required
@require_POST
def item_done(request: HtmxHttpRequest, slug: str, item_id: int) -> HttpResponse:
    workspace, membership = workspace_for(request, slug, Role.EDITOR)
    item = services.mark_done(item=_item_or_404(workspace, item_id), user=request.user)  # type: ignore[arg-type]
    return _after_action(request, workspace, membership, item, "Marked done.")


@login_required
@require_POST
def item_label(request: HtmxHttpRequest, slug: str, item_id: int) -> HttpResponse:
    workspace, membership = workspace_for(request, slug, Role.EDITOR)
    item = _item_or_404(workspace, item_id)
    form = LabelForm(request.POST)
    if not form.is_valid():
        return _after_action(
            request, workspace, membership, item, "Pick one of the four labels.", error=True
        )
    item = services.relabel(item=item, label=form.cleaned_data["label"], user=request.user)  # type: ignore[arg-type]
    note = f"Label set to {item.get_label_display()}. Triage will learn from it."
    return _after_action(request, workspace, membership, item, note)


@login_required
@require_POST
def item_reply(request: HtmxHttpRequest, slug: str, item_id: int) -> HttpResponse:
    workspace, membership = workspace_for(request, slug, Role.EDITOR)
    item = _item_or_404(workspace, item_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        note = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _after_action(
            request, workspace, membership, item, note, error=True, reply_form=form
        )
    try:
        outcome = services.reply(item=item, user=request.user, text=form.cleaned_data["text"])  # type: ignore[arg-type]
    except ValidationError as exc:
        return _after_action(
            request, workspace, membership, item, str(exc), error=True, reply_form=form
        )
    if outcome.will_send:
        note = f"Reply saved; sending it through {item.channel}."
    else:
        note = "Reply saved here. It was not sent anywhere: this item came from an archive import."
    return _after_action(request, workspace, membership, item, note)
