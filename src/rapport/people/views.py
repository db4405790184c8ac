"""People pages: the list and one person's timeline. Reads only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from rapport.errors import ValidationError
from rapport.people import selectors
from rapport.web.access import workspace_for
from rapport.web.http import HtmxHttpRequest


@login_required
def index(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    workspace, _ = workspace_for(request, slug)
    query = request.GET.get("q", "")[:200]
    try:
        page = selectors.people_page(
            workspace=workspace, query=query, after=request.GET.get("after") or None
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(str(exc))
    context = {"workspace": workspace, "section": "people", "page": page, "q": query}
    template = "people/index.html"
    if request.htmx and request.GET.get("after"):
        template += "#rows"
    return render(request, template, context)


@login_required
def person(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    workspace, _ = workspace_for(request, slug)
    found = selectors.person_in(workspace=workspace, person_id=person_id)
    if found is None:
        raise Http404("no such person")
    context = {
        "workspace": workspace,
        "section": "people",
        "view": selectors.person_view(person=found),
    }
    return render(request, "people/person.html", context)
