"""``rapport items``: export every item (JSON Lines or CSV) and list what is waiting."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from rapport.hookspecs import hookimpl
from rapport.inbox.models import ItemState, Label


@click.group()
def items() -> None:
    """Export and list inbox items."""


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "flags": ";".join(record["flags"]), "reasons": ";".join(record["reasons"])}


def write_records(records: Iterable[dict[str, Any]], out: IO[str], fmt: str) -> int:
    """Write ``records`` as ``jsonl`` or ``csv``, one at a time; returns how many."""
    from rapport.inbox.selectors import EXPORT_FIELDS

    count = 0
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for record in records:
        if writer is not None:
            writer.writerow(_csv_row(record))
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


@contextmanager
def _atomic_output(path: Path) -> Iterator[IO[str]]:
    """Write to a temporary file next to ``path``; rename only when all went well."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@items.command("export")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
def items_export(slug: str, fmt: str, output: Path | None) -> None:
    """Export every item of a workspace, one record per item, streamed.

    Records carry source_id (the platform's id; for WordPress the comment_id),
    post_source_id, author, label, flags, confidence, reasons, state, created_at
    and more. In CSV, flags and reasons are joined with ";".

    Example: rapport items export --workspace bakery --format csv --output items.csv
    """
    from rich.console import Console
    from rich.progress import Progress

    from rapport.accounts.services import get_workspace
    from rapport.inbox.models import Item
    from rapport.inbox.selectors import export_records

    workspace = get_workspace(slug=slug)
    records = export_records(workspace=workspace)
    if output is None:
        write_records(records, sys.stdout, fmt)
        return
    total = Item.objects.filter(workspace=workspace).count()
    console = Console(stderr=True)
    with Progress(transient=True, console=console) as bar, _atomic_output(output) as handle:
        task = bar.add_task(f"export {slug}", total=total)

        def counted() -> Iterator[dict[str, Any]]:
            for record in records:
                yield record
                bar.advance(task)

        count = write_records(counted(), handle, fmt)
    click.echo(f"Exported {count} items from {slug!r} to {output}.", err=True)


@items.command("list")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--label", type=click.Choice(Label.values), default=None, help="Only this label.")
@click.option("--state", type=click.Choice(ItemState.values), default="open", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
def items_list(slug: str, label: str | None, state: str, limit: int) -> None:
    """List items, the longest waiting first.

    Example: rapport items list --workspace bakery --label needs_reply
    """
    from django.utils import timezone

    from rapport.accounts.services import get_workspace
    from rapport.inbox.selectors import incoming
    from rapport.inbox.templatetags.desk import author_name, duration

    workspace = get_workspace(slug=slug)
    qs = incoming(workspace).filter(state=state, is_duplicate=False)
    if label:
        qs = qs.filter(label=label)
    now = timezone.now()
    shown = 0
    for item in qs.select_related("author").order_by("created_at", "id")[:limit]:
        text = " ".join(item.text.split())[:70]
        waited = duration(now - item.created_at)
        click.echo(
            f"{item.pk:>8}  {item.label or '-':<12} {waited:>7}  {author_name(item)[:20]:<20}  {text}"
        )
        shown += 1
    if not shown:
        click.echo("Nothing here.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(items)
