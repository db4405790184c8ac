"""``rapport channels sync``: poll channels now, with progress and a summary.

Added to the ``channels`` group that ``channels/cli.py`` creates (``trylast``
so that group exists by then); when it does not, a ``channels`` group is made
here so the command is never lost.
"""

from __future__ import annotations

from typing import Any

import click

from rapport.hookspecs import hookimpl


@click.command("sync")
@click.argument("channel_id", type=int, required=False)
@click.option("--workspace", "slug", help="Poll every active channel of this workspace.")
def channels_sync(channel_id: int | None, slug: str | None) -> None:
    """Fetch what is new on one channel, or on every channel of a workspace.

    Polls each channel again while it keeps bringing new rows, so a first
    sync of a busy account catches up in one go.

    \b
    Examples:
      rapport channels sync 3
      rapport channels sync --workspace bakery
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from rapport.accounts.services import get_workspace
    from rapport.channels.models import Channel, ChannelStatus
    from rapport.channels.registry import channel_classes
    from rapport.channels.sync import SyncSummary, sync_channel
    from rapport.errors import NotFound, ValidationError

    if (channel_id is None) == (slug is None):
        raise ValidationError("give a channel id or --workspace SLUG (one of the two)")
    if channel_id is not None:
        channels = list(Channel.objects.filter(pk=channel_id))
        if not channels:
            raise NotFound(f"no channel {channel_id}; see `rapport channels list --workspace SLUG`")
    else:
        assert slug is not None  # exactly one of the two, checked above
        fetching = [k for k, cls in channel_classes().items() if cls.can_fetch]
        channels = list(
            Channel.objects.filter(
                workspace=get_workspace(slug=slug), status=ChannelStatus.ACTIVE, kind__in=fetching
            ).order_by("name")
        )
    console = Console(stderr=True)
    results: list[tuple[Channel, SyncSummary]] = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar:
        task = bar.add_task("", total=len(channels))
        for channel in channels:
            bar.update(task, description=f"polling {channel.name} ({channel.kind})")
            results.append((channel, _until_caught_up(channel.pk, sync_channel)))
            bar.advance(task)
    failed = 0
    for channel, s in results:
        line = (
            f"{channel.pk}\t{channel.name}\t{s.outcome}\t{s.items_created} new item(s), "
            f"{s.signals_created} signal(s), {s.posts_created} post(s), "
            f"{s.already_present} already here, {s.skipped.total()} skipped"
        )
        colour = {"ok": None, "skipped": "yellow", "rate_limited": "yellow"}.get(s.outcome, "red")
        click.secho(line, fg=colour)
        for reason, count in s.skipped.most_common(5):
            click.echo(f"\t  skipped {count}: {reason}")
        if s.message:
            click.secho(f"\t  {s.message}", fg=colour)
        failed += s.outcome in ("failed", "needs_reconnect")
    total = sum(s.items_created for _, s in results)
    click.echo(f"{len(results)} channel(s) polled, {total} new item(s).")
    if failed:
        raise SystemExit(1)


def _until_caught_up(channel_id: int, sync: Any, rounds: int = 20) -> Any:
    """Poll again while a poll brings new rows (a poll reads a bounded number of pages)."""
    total = sync(channel_id=channel_id)
    for _ in range(rounds - 1):
        if total.outcome != "ok" or not (
            total.items_created + total.signals_created + total.posts_created
        ):
            break
        more = sync(channel_id=channel_id)
        if more.outcome != "ok":
            total.outcome, total.message, total.retry_after = (
                more.outcome,
                more.message,
                more.retry_after,
            )
        for name in (
            "fetched",
            "items_created",
            "signals_created",
            "posts_created",
            "already_present",
        ):
            setattr(total, name, getattr(total, name) + getattr(more, name))
        total.skipped.update(more.skipped)
        if not (more.items_created + more.signals_created + more.posts_created):
            break
    return total


@hookimpl(trylast=True)
def register_commands(cli: click.Group) -> None:
    group = cli.commands.get("channels")
    if not isinstance(group, click.Group):

        @click.group("channels")
        def channels() -> None:
            """Channels (accounts on platforms)."""

        group = channels
        cli.add_command(group)
    group.add_command(channels_sync)
