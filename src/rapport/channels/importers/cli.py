"""``rapport import KIND PATH --workspace SLUG``: one subcommand per installed importer.

The subcommands are built from the importer registry, so a plugin that
registers a new importer gets its command without touching this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rapport.errors import RapportError
from rapport.hookspecs import hookimpl


@click.group(name="import")
def import_group() -> None:
    """Bring in an archive: posts with their comments, replies and authors.

    Imports stream (constant memory), are idempotent (a re-import adds nothing)
    and transactional (a bad file changes nothing).

    \b
    Example:
      rapport import wxr wordpress-export.xml --workspace default
    """


def _command_for(kind: str, label: str) -> click.Command:
    @click.command(
        name=kind,
        help=f"Import an archive: {label or kind}.\n\n"
        f"Example: rapport import {kind} PATH --workspace default",
    )
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option("--workspace", "slug", required=True, help="workspace slug")
    @click.option(
        "--no-triage",
        is_flag=True,
        help="leave the new items unlabelled (label them later with `rapport triage run`)",
    )
    def command(path: Path, slug: str, no_triage: bool) -> None:
        run_cli_import(kind=kind, path=path, slug=slug, triage=not no_triage)

    return command


def run_cli_import(*, kind: str, path: Path, slug: str, triage: bool) -> None:
    """Run the import in the foreground, as an import job like an upload's.

    The job row makes the import show on the Import page and lets a second
    import of the same archive (from here or the page) be refused with a
    clear message instead of colliding with this one.
    """
    from rich.console import Console

    from rapport.accounts.services import get_workspace
    from rapport.channels.import_jobs import run_job, start_cli
    from rapport.channels.models import ImportState

    workspace = get_workspace(slug=slug)
    started = start_cli(workspace=workspace, kind=kind, path=path)
    console = Console(stderr=True)
    with _ProgressBar(console) as update:
        job = run_job(job_id=started.pk, path=path, progress=update, triage=False)
    if job is None or job.state != ImportState.DONE:
        raise ImportFailed(job.error if job else "the import job disappeared")
    click.echo(f"Imported {path} as {job.source}")
    click.echo(f"  posts:           {job.posts_created} new")
    click.echo(f"  comments:        {job.items_created} new")
    if job.signals_created:
        click.echo(f"  likes/boosts:    {job.signals_created} new")
    click.echo(f"  already present: {job.already_present}")
    if job.answered_on_platform:
        click.echo(f"  already answered by you: {job.answered_on_platform}")
    if job.orphans:
        click.echo(f"  replies whose parent is not in the archive: {job.orphans}")
    click.echo(f"  skipped:         {job.skipped}")
    for reason, count in sorted(job.skipped_reasons.items(), key=lambda kv: -kv[1]):
        click.echo(f"    {count:>7}  {reason}")
    if triage and job.items_created:
        from rapport.triage.services import triage_pending

        labelled = triage_pending(workspace=workspace)
        click.echo(f"Triage labelled {labelled} items.")
        _print_labels(workspace_id=workspace.pk, source=job.source)


class ImportFailed(RapportError):
    """An import job that ended failed; its message names the file and the place."""


def _print_labels(*, workspace_id: int, source: str) -> None:
    from django.db.models import Count

    from rapport.inbox.models import Item

    rows = (
        Item.objects.filter(workspace_id=workspace_id, source=source, is_own=False)
        .values_list("label")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    for label, count in rows:
        click.echo(f"    {count:>7}  {label or 'unlabelled'}")


class _ProgressBar:
    """A rich progress bar over bytes read, with the counts so far."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        )
        self.task = self.progress.add_task("import", total=None, counts="")

    def __enter__(self) -> Any:
        self.progress.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, state: Any) -> None:
        counts = f"{state.posts} posts, {state.items} comments, {state.skipped} skipped"
        self.progress.update(
            self.task, completed=state.bytes_read, total=state.bytes_total, counts=counts
        )


@hookimpl
def register_commands(cli: click.Group) -> None:
    from rapport.channels.registry import importer_classes

    for kind, cls in sorted(importer_classes().items()):
        import_group.add_command(_command_for(kind, cls.label))
    cli.add_command(import_group)
