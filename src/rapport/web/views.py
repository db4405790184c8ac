"""Views that belong to no single feature: sign-in, home, health."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = request.user.memberships.select_related("workspace").order_by("created_at").first()  # type: ignore[union-attr]
    if membership is None:
        return render(request, "web/no_workspace.html")
    return redirect("inbox:index", membership.workspace.slug)


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
