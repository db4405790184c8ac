"""The one door from a web request to a workspace: checks membership and role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest

from rapport.accounts.models import Membership, Role, Workspace
from rapport.accounts.services import require_role
from rapport.errors import NotFound, PermissionDenied


def workspace_for(
    request: HttpRequest, slug: str, role: str = Role.VIEWER
) -> tuple[Workspace, Membership]:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404("no such workspace")
    try:
        membership = require_role(user=request.user, workspace=workspace, role=role)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("no such workspace") from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from None
    return workspace, membership
