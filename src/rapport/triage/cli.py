"""``rapport triage``: run, evaluate and train the triage model."""

from __future__ import annotations

from collections import Counter

import click

from rapport.hookspecs import hookimpl


@click.group()
def triage() -> None:
    """Label items: needs_reply, conversation, appreciation, spam."""


@triage.command("run")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option(
    "--all", "everything", is_flag=True, help="Re-run over all items (owner labels stay)."
)
def triage_run(slug: str, everything: bool) -> None:
    """Triage the items of a workspace that have no label yet.

    Example: rapport triage run --workspace bakery
    """
    from rich.progress import Progress

    from rapport.accounts.services import get_workspace
    from rapport.inbox.models import Item
    from rapport.triage import services

    ws = get_workspace(slug=slug)
    items = Item.objects.filter(workspace=ws)
    total = items.count() if everything else items.filter(label="").count()
    with Progress(transient=True) as bar:
        task = bar.add_task("triage", total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        if everything:
            done = services.retriage(workspace=ws, progress=advance)
        else:
            done = services.triage_pending(workspace=ws, progress=advance)
    verb = "changed" if everything else "triaged"
    click.echo(f"{done} items {verb} in {ws.slug!r}.")
    counts = Counter(items.values_list("label", flat=True))
    for label in ("needs_reply", "conversation", "appreciation", "spam"):
        click.echo(f"  {label:<13} {counts.get(label, 0)}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(triage)
