"""The JSON API: one NinjaAPI, each feature adds its router; errors mapped here."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from rapport.accounts.api import TokenAuth
from rapport.errors import NotFound, PermissionDenied, RapportError, ValidationError

api = NinjaAPI(
    title="Rapport API",
    version="1",
    description="Items, posts and people of a Rapport workspace. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `rapport user token EMAIL`).",
    auth=TokenAuth(),
    urls_namespace="api",
)

_STATUS = {NotFound: 404, PermissionDenied: 403, ValidationError: 422}


@api.exception_handler(RapportError)
def rapport_error(request: HttpRequest, exc: RapportError) -> HttpResponse:
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
    body: dict[str, str] = {"detail": str(exc)}
    if isinstance(exc, ValidationError) and exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=status)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000
    detail = f"the request is larger than {limit:.0f} MB; send large images with the CLI or the web"
    return api.create_response(request, {"detail": detail}, status=413)


from rapport.inbox.api import router as items_router  # noqa: E402
from rapport.people.api import router as people_router  # noqa: E402
from rapport.publish.api import router as posts_router  # noqa: E402
from rapport.publish.conversions_api import router as conversions_router  # noqa: E402

api.add_router("/w/{slug}/items", items_router)
api.add_router("/w/{slug}/posts", posts_router)
api.add_router("/w/{slug}/people", people_router)
api.add_router("/conversions", conversions_router)
