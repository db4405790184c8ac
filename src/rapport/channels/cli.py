"""``rapport channels``: add, list and test channels."""

from __future__ import annotations

import click

from rapport.hookspecs import hookimpl


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} is not key=value", param_hint=option)
        pairs[key.strip()] = val
    return pairs


@click.group()
def channels() -> None:
    """Add, list and test channels (accounts on platforms)."""


@channels.command("add")
@click.argument("kind")
@click.argument("name")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--config", "config", multiple=True, help="key=value, repeatable.")
@click.option("--secret", "secret", multiple=True, help="key=value, stored encrypted.")
def channels_add(
    kind: str, name: str, slug: str, config: tuple[str, ...], secret: tuple[str, ...]
) -> None:
    """Add a channel of KIND called NAME.

    \b
    Examples:
      rapport channels add feed Blog --workspace bakery
      rapport channels add webhook Zapier --workspace bakery \\
          --config url=https://hooks.example.com/x --secret secret=$(openssl rand -hex 16)
    """
    from rapport.accounts.services import get_workspace
    from rapport.channels.services import add_channel

    ws = get_workspace(slug=slug)
    channel = add_channel(
        workspace=ws,
        kind=kind,
        name=name,
        config=_pairs(config, "--config"),
        secrets=_pairs(secret, "--secret"),
    )
    click.echo(f"Added channel {channel.pk}: {channel.name} ({channel.kind}).")


@channels.command("list")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
def channels_list(slug: str) -> None:
    """List a workspace's channels with their status. Example: rapport channels list --workspace bakery"""
    from rapport.accounts.services import get_workspace
    from rapport.channels.models import Channel

    ws = get_workspace(slug=slug)
    for ch in Channel.objects.filter(workspace=ws).order_by("name"):
        extra = f"\t{ch.status_message}" if ch.status_message else ""
        click.echo(f"{ch.pk}\t{ch.name}\t{ch.kind}\t{ch.status}{extra}")


@channels.command("test")
@click.argument("channel_id", type=int)
def channels_test(channel_id: int) -> None:
    """Check a channel's configuration and credentials (nothing is published).

    Example: rapport channels test 3
    """
    from rapport.channels.models import Channel, ChannelStatus
    from rapport.channels.registry import channel_class
    from rapport.errors import NotFound

    ch = Channel.objects.filter(pk=channel_id).first()
    if ch is None:
        raise NotFound(f"no channel {channel_id}; see `rapport channels list --workspace SLUG`")
    channel_class(ch.kind).validate_config(ch.config, ch.get_secrets())
    if ch.status != ChannelStatus.ACTIVE:
        click.secho(f"{ch.name}: {ch.get_status_display()}: {ch.status_message}", fg="yellow")
        raise SystemExit(1)
    click.echo(f"{ch.name} ({ch.kind}): configuration OK, active.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(channels)
