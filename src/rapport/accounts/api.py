"""Token authentication for the JSON API (``Authorization: Bearer rpt_...``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from rapport.accounts.models import ApiToken, Workspace
from rapport.accounts.services import get_workspace, require_role


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.digest_of(token), user__is_active=True)
            .first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


def workspace_from_api(request: HttpRequest, slug: str, role: str) -> Workspace:
    """Resolve ``slug`` for the token's user, checking role; raises NotFound/PermissionDenied."""
    workspace = get_workspace(slug=slug)
    require_role(user=request.auth, workspace=workspace, role=role)  # type: ignore[attr-defined]
    return workspace
