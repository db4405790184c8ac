from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rapport.web.access import workspace_for


@login_required
def index(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, _ = workspace_for(request, slug)
    return render(request, "web/base.html", {"workspace": workspace, "section": "channels"})
