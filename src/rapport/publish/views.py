"""Publish pages: composer with per-channel preview, the post list, one post.

Views are thin: they parse the form and call ``services``/``selectors``.
htmx requests get the ``preview`` partial; everything works without JS.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.accounts.models import Membership, Role, Workspace
from rapport.errors import RapportError, ValidationError
from rapport.publish import selectors, services
from rapport.publish.conversions import conversion_secret
from rapport.publish.forms import ComposeForm, SlotForm
from rapport.publish.media import missing_alt
from rapport.publish.queue import add_slot, week_ahead
from rapport.publish.selectors import VariantPreview
from rapport.web.access import workspace_for
from rapport.web.http import HtmxHttpRequest


def _page(
    request: HttpRequest,
    workspace: Workspace,
    membership: Membership,
    form: ComposeForm,
    previews: list[VariantPreview] | None = None,
) -> HttpResponse:
    channels = selectors.publishable_channels(workspace)
    context = {
        "workspace": workspace,
        "section": "publish",
        "form": form,
        "can_compose": membership.allows(Role.EDITOR),
        "is_owner": membership.allows(Role.OWNER),
        "posts": selectors.posts_for(workspace),
        "attention": selectors.failed_deliveries(workspace)[:20],
        "previews": previews,
        "week": week_ahead(channels, now=timezone.now()),
        "slot_form": SlotForm(channels=channels),
        "conversion_secret": (
            conversion_secret(workspace) if membership.allows(Role.OWNER) else None
        ),
    }
    return render(request, "publish/index.html", context)


@login_required
def index(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, membership = workspace_for(request, slug)
    channels = selectors.publishable_channels(workspace)
    initial = {"await_approval": not membership.allows(Role.OWNER)}
    return _page(
        request,
        workspace,
        membership,
        ComposeForm(workspace=workspace, channels=channels, initial=initial),
    )


@login_required
@require_POST
def compose(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    workspace, membership = workspace_for(request, slug, Role.EDITOR)
    form = ComposeForm(
        request.POST,
        request.FILES,
        workspace=workspace,
        channels=selectors.publishable_channels(workspace),
    )
    valid = form.is_valid()
    if request.htmx and request.POST.get("action") == "preview_media":
        return _media_preview(request, workspace, form)
    if not valid:
        if request.htmx and request.POST.get("action") == "preview":
            return render(request, "publish/index.html#preview", {"preview_errors": form.errors})
        return _page(request, workspace, membership, form)
    previews = selectors.preview(
        workspace,
        body=form.cleaned_data["body"],
        channel_ids=form.channel_ids(),
        variants=form.variants(),
        images=form.images(),
        alt_variants=form.alt_variants(),
    )
    if request.POST.get("action") == "preview":
        if request.htmx:
            return render(request, "publish/index.html#preview", {"previews": previews})
        return _page(request, workspace, membership, form, previews)
    try:
        post = services.compose_post(
            workspace=workspace,
            author=request.user,  # type: ignore[arg-type]
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            channel_ids=form.channel_ids(),
            at=form.when_value(),
            variants=form.variants(),
            track_links=form.cleaned_data["track_links"],
            await_approval=form.cleaned_data["await_approval"],
            images=form.images(),
            alt_variants=form.alt_variants(),
        )
    except ValidationError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc))
        return _page(request, workspace, membership, form, previews)
    messages.success(request, f"Post {post} is {post.get_status_display().lower()}.")
    for warning in missing_alt(post):
        messages.warning(request, f"{warning}: people using screen readers will miss it.")
    return redirect("publish:post", slug=workspace.slug, post_id=post.pk)


def _media_preview(request: HttpRequest, workspace: Workspace, form: ComposeForm) -> HttpResponse:
    """The images part of the preview, asked for when an image or its alt text changes.

    Typing in the post does not send the images again (the text preview leaves
    them out); this answers with each channel's images, alt texts, warnings and
    media errors, even before the post has any text.
    """
    data = getattr(form, "cleaned_data", {})
    previews = selectors.preview(
        workspace,
        body=data.get("body") or "",
        channel_ids=[int(pk) for pk in data.get("channels", [])],
        variants={},
        images=form.images(),
        alt_variants=form.alt_variants(),
    )
    errors = {k: v for k, v in form.errors.items() if k.startswith(("image_", "alt_"))}
    context = {"previews": previews, "media_errors": errors}
    return render(request, "publish/index.html#media_preview", context)


@login_required
def post_detail(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    workspace, membership = workspace_for(request, slug)
    try:
        post = selectors.get_post(workspace, post_id)
    except RapportError:
        from django.http import Http404

        raise Http404("no such post") from None
    context = {
        "workspace": workspace,
        "section": "publish",
        "post": post,
        "clicks": selectors.link_clicks(post),
        "is_owner": membership.allows(Role.OWNER),
        "can_compose": membership.allows(Role.EDITOR),
    }
    return render(request, "publish/post.html", context)


@login_required
@require_POST
def approve(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    workspace, _ = workspace_for(request, slug, Role.OWNER)
    post = selectors.get_post(workspace, post_id)
    try:
        services.approve_post(post=post)
        messages.success(request, "Approved: the post is in the queue.")
    except ValidationError as exc:
        messages.error(request, str(exc))
    return redirect("publish:post", slug=workspace.slug, post_id=post.pk)


@login_required
@require_POST
def retry(request: HttpRequest, slug: str, post_id: int, delivery_id: int) -> HttpResponse:
    workspace, _ = workspace_for(request, slug, Role.EDITOR)
    post = selectors.get_post(workspace, post_id)
    delivery = post.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        from django.http import Http404

        raise Http404("no such delivery")
    try:
        services.retry_delivery(delivery=delivery)
        messages.success(request, f"{delivery.channel.name}: queued again.")
    except ValidationError as exc:
        messages.error(request, str(exc))
    return redirect("publish:post", slug=workspace.slug, post_id=post.pk)


@login_required
@require_POST
def slot(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, _ = workspace_for(request, slug, Role.EDITOR)
    channels = selectors.publishable_channels(workspace)
    form = SlotForm(request.POST, channels=channels)
    if form.is_valid():
        channel = next(c for c in channels if str(c.pk) == form.cleaned_data["channel"])
        add_slot(
            channel=channel, weekday=int(form.cleaned_data["weekday"]), at=form.cleaned_data["time"]
        )
        messages.success(request, f"Queue slot added to {channel.name}.")
    else:
        messages.error(request, "Pick a channel, a day and a time for the slot.")
    return redirect("publish:index", slug=workspace.slug)


@login_required
@require_POST
def resolve(request: HttpRequest, slug: str, post_id: int, delivery_id: int) -> HttpResponse:
    workspace, _ = workspace_for(request, slug, Role.EDITOR)
    post = selectors.get_post(workspace, post_id)
    delivery = post.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        from django.http import Http404

        raise Http404("no such delivery")
    published = request.POST.get("published") == "yes"
    try:
        services.resolve_unconfirmed(delivery=delivery, published=published)
        messages.success(request, "Marked as sent." if published else "Queued again (same key).")
    except ValidationError as exc:
        messages.error(request, str(exc))
    return redirect("publish:post", slug=workspace.slug, post_id=post.pk)
