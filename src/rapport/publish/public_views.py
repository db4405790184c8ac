"""Public endpoints, no sign-in: the workspace feed and tracked-link redirects."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_GET

from rapport.accounts.models import Workspace
from rapport.errors import NotFound
from rapport.publish.feed import build_feed
from rapport.publish.links import record_click


@require_GET
def atom_feed(request: HttpRequest, slug: str) -> HttpResponse:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404("no such feed")
    feed = build_feed(workspace)
    last_modified = int(feed.last_modified.timestamp()) if feed.last_modified else None
    not_modified = get_conditional_response(request, etag=feed.etag, last_modified=last_modified)
    response = not_modified or HttpResponse(
        feed.body, content_type="application/atom+xml; charset=utf-8"
    )
    response.headers["ETag"] = feed.etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def tracked_link(request: HttpRequest, code: str) -> HttpResponse:
    try:
        url = record_click(
            code=code,
            referrer=request.headers.get("Referer", ""),
            day=timezone.localdate(),
        )
    except NotFound:
        raise Http404("no such link") from None
    response = HttpResponseRedirect(url)
    response.headers["Referrer-Policy"] = "no-referrer-when-downgrade"
    response.headers["Cache-Control"] = "no-store"
    return response
