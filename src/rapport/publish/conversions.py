"""Conversions: a shop or form reports a sale or sign-up, attributed to a tracked link.

``/l/<code>`` adds ``rpt=<code>`` to the landing URL; the shop keeps it and
reports it back with ``POST /api/conversions`` — JSON signed with HMAC-SHA256
in ``X-Rapport-Signature: sha256=<hex>`` using the workspace's conversion
secret. The secret is derived from the server's secret key and the workspace
slug (nothing more to store; rotating ``RAPPORT_SECRET_KEY`` rotates it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from rapport.accounts.models import Workspace
from rapport.errors import NotFound, PermissionDenied, ValidationError
from rapport.publish.models import Conversion, Link

SIGNATURE_HEADER = "X-Rapport-Signature"


def conversion_secret(workspace: Workspace) -> str:
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, f"conversions:{workspace.slug}".encode(), hashlib.sha256).hexdigest()


def signature(workspace: Workspace, body: bytes) -> str:
    return (
        "sha256="
        + hmac.new(conversion_secret(workspace).encode(), body, hashlib.sha256).hexdigest()
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    conversion: Conversion
    created: bool


def _payload(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise ValidationError("the body must be a JSON object")
    return data


def record_conversion(*, body: bytes, signed: str, day: date) -> Recorded:
    """Verify and store one conversion report; a repeated ``id`` is stored once."""
    data = _payload(body)
    workspace = Workspace.objects.filter(slug=str(data.get("workspace", ""))).first()
    if workspace is None:
        raise NotFound("unknown workspace")
    if not hmac.compare_digest(signature(workspace, body), signed or ""):
        raise PermissionDenied("bad or missing X-Rapport-Signature")
    external_id = str(data.get("id", "")).strip()[:200]
    if not external_id:
        raise ValidationError("a conversion needs an 'id' (order or sign-up id)", field="id")
    code = str(data.get("link", "")).strip()
    link = Link.objects.filter(workspace=workspace, code=code).first() if code else None
    if code and link is None:
        raise ValidationError(f"no tracked link {code!r} in this workspace", field="link")
    value = None
    if data.get("value") not in (None, ""):
        try:
            value = Decimal(str(data["value"])).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValidationError("value must be a number", field="value") from None
    fields = {
        "link": link,
        "kind": str(data.get("kind", "conversion"))[:40],
        "value": value,
        "currency": str(data.get("currency", ""))[:3].upper(),
        "day": day,
    }
    try:
        with transaction.atomic():
            conv = Conversion.objects.create(workspace=workspace, external_id=external_id, **fields)
            return Recorded(conv, True)
    except IntegrityError:
        return Recorded(Conversion.objects.get(workspace=workspace, external_id=external_id), False)
