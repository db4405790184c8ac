"""``POST /api/conversions`` as a django-ninja route, so it is in ``/api/openapi.json``.

Authenticated by the body's HMAC signature, not a user token (``auth=None``),
so the route declares no body parameter: ninja would parse and re-serialise
the JSON, and the signature is over the **raw bytes** the shop sent. The body's
shape is still described (``openapi_extra``) from :class:`ConversionIn`, the
one place it is written down; ``record_conversion`` reads and checks it.
Errors are mapped in ``rapport.api`` like every other route: 403 bad or missing
signature, 404 unknown workspace, 422 invalid report.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from rapport.publish.conversions import SIGNATURE_HEADER, record_conversion

router = Router(tags=["conversions"])
MAX_BODY = 10_000


class ConversionIn(Schema):
    workspace: str = Field(..., description="the workspace's slug")
    id: str = Field(..., description="the shop's order or sign-up id; a repeat counts once")
    link: str = Field("", description="the tracked link's code (the landing URL's `rpt`)")
    kind: str = Field("conversion", description="e.g. sale, signup")
    value: str | float | None = Field(None, description="amount, e.g. 12.50")
    currency: str = Field("", description="ISO 4217 code, e.g. EUR")


class ConversionOut(Schema):
    id: str
    created: bool = Field(..., description="false when this id was reported before")


class ErrorOut(Schema):
    detail: str


_BODY = {
    "required": True,
    "content": {"application/json": {"schema": ConversionIn.model_json_schema()}},
}
_SIGNATURE = {
    "name": SIGNATURE_HEADER,
    "in": "header",
    "required": True,
    "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
    "description": "sha256=<hex HMAC-SHA256 of the raw body with the workspace's conversion "
    "secret (shown to owners on the Publish page)>",
}


@router.post(
    "",
    auth=None,
    response={
        201: ConversionOut,
        200: ConversionOut,
        403: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
    },
    summary="Report a sale or sign-up for a tracked link (HMAC-signed, no token)",
    openapi_extra={"requestBody": _BODY, "parameters": [_SIGNATURE]},
)
def report_conversion(request: HttpRequest) -> Status:
    if len(request.body) > MAX_BODY:
        return Status(413, {"detail": "payload too large"})
    recorded = record_conversion(
        body=request.body,
        signed=request.headers.get(SIGNATURE_HEADER, ""),
        day=timezone.localdate(),
    )
    conversion = {"id": recorded.conversion.external_id, "created": recorded.created}
    return Status(201 if recorded.created else 200, conversion)
