"""``rapport triage``: run, evaluate and train the triage model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from rapport.errors import ValidationError
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


@triage.command("eval")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def triage_eval(path: Path) -> None:
    """Score the default model on a labelled JSONL, CSV or TSV file.

    Each record needs ``text`` and ``label`` (needs_reply, conversation,
    appreciation or spam), and may have ``parent_text`` (the post it answers).
    Prints precision, recall and F1 per label and a confusion matrix.

    Example: rapport triage eval data/triage/heldout.jsonl
    """
    from rapport.triage.datasets import labelled_file
    from rapport.triage.evaluation import evaluate
    from rapport.triage.registry import get_classifier

    examples = labelled_file(path)
    if not examples:
        raise ValidationError(f"{path}: no labelled records")
    classifier = get_classifier()
    click.echo(f"{len(examples)} records, model {classifier.version}\n")
    for line in evaluate(classifier, examples).lines():
        click.echo(line)


@triage.command("train")
@click.option(
    "--workspace",
    "slug",
    default=None,
    help="Fit this workspace's model from its owner's corrections.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Training data folder (default: the repository's data/).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the base model (default: the shipped artefact).",
)
def triage_train(slug: str | None, data_dir: Path | None, out: Path | None) -> None:
    """Rebuild the base model, or fit a workspace's model on its corrections.

    Without --workspace: fit the default model on data/youtube_spam and
    data/triage and write the shipped artefact. With --workspace: fit a model on
    the owner's corrections on top of the base one; it replaces the current
    model only if it scores better on held-out corrections.

    \b
    Examples:
      rapport triage train
      rapport triage train --workspace bakery
    """
    if slug is not None:
        from rapport.accounts.services import get_workspace
        from rapport.triage.learning import train_workspace_model

        ws = get_workspace(slug=slug)
        outcome = train_workspace_model(workspace=ws)
        click.echo(outcome.summary)
        return
    from rapport.triage import datasets, training
    from rapport.triage.model import DEFAULT_PATH

    root = data_dir or default_data_dir()
    youtube = datasets.youtube_videos(root / "youtube_spam")
    corpus = datasets.corpus(root / "triage")
    care = root.parent.parent / "shared" / "data" / "customer_care" / "dev.json"
    if care.is_file():
        corpus += datasets.customer_care(care, part="train")
        click.echo(f"Using the customer-care training half from {care}.")
    else:
        click.echo(f"No {care}: training without the customer-care half (see data/README.md).")
    click.echo(
        f"Training on {sum(map(len, youtube))} YouTube comments and {len(corpus)} corpus rows..."
    )
    model = training.fit(spam=[x for video in youtube for x in video], corpus=corpus)
    target = out or DEFAULT_PATH
    model.save(target)
    click.echo(f"Wrote {target} ({target.stat().st_size // 1024} KiB).")


@triage.command("adapt")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
def triage_adapt(slug: str) -> None:
    """Tune the spam weights to a workspace's own items (no labels needed).

    The model's confident decisions on the workspace's items teach it the
    workspace's vocabulary, and its newest items become the neighbours that
    settle the comments the model is unsure of (docs/benchmarks.md says what
    it is worth). The items it read are re-labelled with it (owner labels
    stay); new items use it at once; `rapport triage run --all` re-labels older
    ones. Also runs nightly where a workspace has grown by a quarter or by
    1,000 items since.

    Example: rapport triage adapt --workspace bakery
    """
    from rapport.accounts.services import get_workspace
    from rapport.triage.learning import adapt_workspace

    click.echo(adapt_workspace(workspace=get_workspace(slug=slug)).summary)


def default_data_dir() -> Path:
    """The repository's ``data/`` folder (training data is not installed with the package)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data" / "triage").is_dir():
            return parent / "data"
    raise ValidationError(
        "cannot find the training data folder; pass --data DIR (a checkout's data/)"
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(triage)
