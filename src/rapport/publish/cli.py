"""``rapport posts``: compose from a Markdown file, list with deliveries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rapport.hookspecs import hookimpl

if TYPE_CHECKING:
    from rapport.publish.media import ImageUpload


@click.group()
def posts() -> None:
    """Compose, schedule and list posts."""


def _parse_at(value: str, tz: str) -> datetime | str:
    from zoneinfo import ZoneInfo

    from rapport.errors import ValidationError

    if value in ("now", "queue", "next"):
        return value
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"--at {value!r} is not ISO 8601 (e.g. 2026-12-01T09:30) or 'now'", field="at"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo(tz))


@posts.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--channels", "names", required=True, help="Channel names, comma-separated.")
@click.option(
    "--at", "at", default="now", show_default=True, help="ISO time, 'now', 'queue' or 'next'."
)
@click.option("--title", default="", help="Title (default: the file's first '# ' heading).")
@click.option("--track-links", is_flag=True, help="Rewrite links to tracked /l/ links.")
@click.option(
    "--image",
    "image_specs",
    multiple=True,
    metavar="PATH[:ALT]",
    help="An image to attach, with its alt text after a colon (repeat for more).",
)
def posts_create(
    file: Path,
    slug: str,
    names: str,
    at: str,
    title: str,
    track_links: bool,
    image_specs: tuple[str, ...],
) -> None:
    """Compose a post from a Markdown FILE and schedule it on channels.

    A time without an offset is read in the workspace's time zone. Images are
    checked against every channel's limits before anything is scheduled.

    Example: rapport posts create news.md --workspace bakery --channels Blog,Hook --at 2026-12-01T09:30 --image rye.jpg:"A rye loaf on a board"
    """
    from rapport.accounts.services import get_workspace
    from rapport.channels.models import Channel
    from rapport.errors import ValidationError
    from rapport.publish.services import compose_post

    ws = get_workspace(slug=slug)
    body = file.read_text(encoding="utf-8")
    if not title and body.lstrip().startswith("# "):
        first, _, rest = body.lstrip().partition("\n")
        title, body = first[2:].strip(), rest
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    found = dict(Channel.objects.filter(workspace=ws, name__in=wanted).values_list("name", "pk"))
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError(
            f"no channel named {', '.join(missing)} in {slug!r}", field="channels"
        )
    post = compose_post(
        workspace=ws,
        author=None,
        title=title,
        body=body,
        channel_ids=[found[n] for n in wanted],
        at=_parse_at(at, ws.timezone),  # type: ignore[arg-type]
        track_links=track_links,
        images=[_read_image(spec) for spec in image_specs],
    )
    click.echo(
        f"Post {post.pk} scheduled for {post.scheduled_at:%Y-%m-%d %H:%M %Z} on {', '.join(wanted)}."
    )
    from rapport.publish.media import missing_alt

    for warning in missing_alt(post):
        click.secho(f"Warning: {warning} (add it after a colon: --image PATH:ALT)", err=True)


def _read_image(spec: str) -> ImageUpload:
    """``PATH[:ALT]``: a path that exists as a whole wins over splitting at a colon."""
    from rapport.errors import ValidationError
    from rapport.publish.media import MAX_UPLOAD_BYTES, check_image

    path, _, alt = (spec, "", "") if Path(spec).is_file() else spec.partition(":")
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"--image {path!r}: no such file", field="images")
    if file.stat().st_size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"image {file.name!r} is {file.stat().st_size / 1_000_000:.1f} MB; images may be "
            f"at most {MAX_UPLOAD_BYTES / 1_000_000:.1f} MB",
            field="images",
        )
    return check_image(file.name, file.read_bytes(), alt=alt)


@posts.command("list")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def posts_list(slug: str, limit: int) -> None:
    """List posts with each delivery's status. Example: rapport posts list --workspace bakery"""
    from rapport.accounts.services import get_workspace
    from rapport.publish.selectors import posts_for

    ws = get_workspace(slug=slug)
    for post in posts_for(ws, limit=limit):
        when = f"{post.scheduled_at:%Y-%m-%d %H:%M}" if post.scheduled_at else "-"
        click.echo(f"{post.pk}\t{post.status}\t{when}\t{post}")
        for d in post.deliveries.all():
            error = f"\t{d.error}" if d.error else ""
            click.echo(f"\t{d.channel.name}\t{d.status}\t{d.remote_id}{error}")


@posts.command("slot")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--channel", "name", required=True, help="Channel name.")
@click.option("--day", required=True, help="mon, tue, ... sun")
@click.option("--time", "at", required=True, help="Local time, e.g. 09:30")
def posts_slot(slug: str, name: str, day: str, at: str) -> None:
    """Add a weekly queue slot (in the workspace's time zone) to a channel.

    Example: rapport posts slot --workspace bakery --channel Blog --day tue --time 09:30
    """
    from rapport.accounts.services import get_workspace
    from rapport.channels.models import Channel
    from rapport.errors import NotFound
    from rapport.publish.queue import add_slot

    ws = get_workspace(slug=slug)
    channel = Channel.objects.filter(workspace=ws, name=name).first()
    if channel is None:
        raise NotFound(f"no channel named {name!r} in {slug!r}")
    slot = add_slot(channel=channel, weekday=day, at=at)
    click.echo(f"{channel.name}: every {day} at {slot.time:%H:%M} ({ws.timezone}).")


@posts.command("subscribe")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--channel", "name", required=True, help="Newsletter channel name.")
@click.argument("emails", nargs=-1, required=True)
def posts_subscribe(slug: str, name: str, emails: tuple[str, ...]) -> None:
    """Add e-mail addresses to a newsletter channel's list.

    Example: rapport posts subscribe --workspace bakery --channel Letter ana@example.com
    """
    from rapport.accounts.services import get_workspace
    from rapport.channels.models import Channel
    from rapport.errors import NotFound
    from rapport.publish.newsletter import subscribe

    ws = get_workspace(slug=slug)
    channel = Channel.objects.filter(workspace=ws, name=name).first()
    if channel is None:
        raise NotFound(f"no channel named {name!r} in {slug!r}")
    for email in emails:
        subscribe(channel=channel, email=email)
    click.echo(f"{len(emails)} address(es) on {channel.name}.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(posts)
