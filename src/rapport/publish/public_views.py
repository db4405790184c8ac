"""Public endpoints, no sign-in: the workspace feed, tracked-link redirects, post images.

(Conversion reports are a ninja route: ``publish/conversions_api.py``.)
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
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


def with_code(url: str, code: str) -> str:
    """The landing URL with ``rpt=<code>`` so a shop can attribute a conversion."""
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("rpt", code)])
    return urlunsplit(parts._replace(query=query))


@require_GET
def post_image(request: HttpRequest, name: str) -> FileResponse:
    """A post's image for feeds and newsletters: ``/m/<token><ext>``, public but unguessable.

    Served with the content type Pillow found at upload (never guessed from a
    name), ``nosniff`` and a CSP that runs nothing, so a file cannot become a page.
    """
    from rapport.publish.models import PostImage

    token, dot, ext = name.partition(".")
    image = PostImage.objects.filter(token=token).first()
    if image is None or f"{dot}{ext}" != image.extension:
        raise Http404("no such image")
    try:
        handle = image.file.open("rb")
    except OSError:
        raise Http404("no such image") from None
    response = FileResponse(handle, content_type=image.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
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
    response = HttpResponseRedirect(with_code(url, code))
    response.headers["Referrer-Policy"] = "no-referrer-when-downgrade"
    response.headers["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers, without a CSRF token
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (link scanners must not unsubscribe anyone); POST unsubscribes."""
    from rapport.publish.models import Subscriber
    from rapport.publish.newsletter import unsubscribe

    subscriber = Subscriber.objects.select_related("channel").filter(token=token).first()
    if subscriber is None:
        raise Http404("this unsubscribe link is not valid")
    if request.method == "POST":
        unsubscribe(token=token)
        subscriber.refresh_from_db()
    return render(request, "publish/unsubscribe.html", {"subscriber": subscriber})
