"""Channel management pages: list with status and the fix, add, reconnect (owner)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.accounts.models import Membership, Role, Workspace
from rapport.channels.forms import AddChannelForm, ReconnectForm
from rapport.channels.models import Channel
from rapport.channels.registry import channel_classes
from rapport.channels.services import add_channel, reconnect
from rapport.errors import ValidationError
from rapport.web.access import workspace_for


def _page(
    request: HttpRequest, workspace: Workspace, membership: Membership, form: AddChannelForm
) -> HttpResponse:
    classes = channel_classes()
    channels = [
        (channel, classes.get(channel.kind))
        for channel in Channel.objects.filter(workspace=workspace).order_by("name")
    ]
    context = {
        "workspace": workspace,
        "section": "channels",
        "channels": channels,
        "form": form,
        "is_owner": membership.allows(Role.OWNER),
    }
    return render(request, "channels/index.html", context)


@login_required
def index(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, membership = workspace_for(request, slug)
    return _page(request, workspace, membership, AddChannelForm())


@login_required
@require_POST
def add(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, membership = workspace_for(request, slug, Role.OWNER)
    form = AddChannelForm(request.POST)
    if form.is_valid():
        config, secrets = form.config_and_secrets()
        try:
            channel = add_channel(
                workspace=workspace,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                config=config,
                secrets=secrets,
            )
        except ValidationError as exc:
            field = next((f for f in form.fields if f.endswith(f"_{exc.field}")), None)
            form.add_error(field if exc.field != "name" else "name", str(exc))
        else:
            messages.success(request, f"Channel {channel.name} added.")
            return redirect("channels:index", slug=workspace.slug)
    return _page(request, workspace, membership, form)


@login_required
@require_POST
def reconnect_view(request: HttpRequest, slug: str, channel_id: int) -> HttpResponse:
    workspace, _ = workspace_for(request, slug, Role.OWNER)
    channel = Channel.objects.filter(workspace=workspace, pk=channel_id).first()
    cls = channel_classes().get(channel.kind) if channel else None
    if channel is None or cls is None:
        raise Http404("no such channel")
    form = ReconnectForm(request.POST, secret_fields=cls.secret_fields)
    try:
        if not form.is_valid():
            raise ValidationError("fill in every secret")
        reconnect(channel=channel, secrets=form.secrets())
    except ValidationError as exc:
        messages.error(request, f"{channel.name}: {exc}")
    else:
        from django.utils import timezone

        from rapport.publish.sweep import release_held

        release_held(timezone.now())
        messages.success(request, f"{channel.name} reconnected; held posts are queued again.")
    return redirect("channels:index", slug=workspace.slug)
