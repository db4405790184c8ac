"""Run one archive import: stream records into ingest inside one transaction.

A bad file changes nothing: the parse error raised half-way rolls back every
row written so far. Triage of the new items is queued only after the commit,
so the worker never sees items of an import that did not happen.

Two imports of the same archive (same workspace and ``source``) never run at
once: on PostgreSQL the import takes a transaction-level advisory lock on that
pair and a second one is refused at once with :class:`ImportBusy`; on SQLite the
import's ``BEGIN IMMEDIATE`` takes the database's only write lock, so a second
import waits (up to the busy timeout) and then runs, finding everything already
present, or is refused with the same error. Either way nothing is written twice
and nobody sees an IntegrityError. ``import_jobs`` adds a friendlier check
before any of this, naming the import that is running.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import OperationalError, connection, transaction

from rapport.accounts.models import Membership, Workspace
from rapport.channels.importers.base import Importer
from rapport.channels.registry import importer_class
from rapport.errors import ImportBusy, ImportFormatError
from rapport.inbox.bulk import paused_gc
from rapport.inbox.ingest import Ingestor, IngestSummary


@dataclass(frozen=True, slots=True)
class ImportProgress:
    bytes_read: int
    bytes_total: int | None
    posts: int
    items: int
    skipped: int


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did, for the CLI, the web page and the logs."""

    kind: str
    source: str
    path: str
    posts_created: int = 0
    items_created: int = 0
    signals_created: int = 0
    already_present: int = 0
    orphans: int = 0
    answered_on_platform: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def describe(self) -> str:
        """One line for a message: "Imported 12 comments and 3 posts"."""
        parts = [f"Imported {_plural(self.items_created, 'comment')}"]
        parts.append(f"and {_plural(self.posts_created, 'post')}")
        line = " ".join(parts)
        if self.signals_created:
            line += f" ({_plural(self.signals_created, 'like or boost', 'likes and boosts')})"
        if self.already_present:
            line += f"; {self.already_present} already present"
        if self.skipped_total:
            line += f"; {self.skipped_total} skipped"
        return line


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


ProgressFn = Callable[[ImportProgress], None]
log = logging.getLogger(__name__)


def run_import(
    *,
    workspace: Workspace,
    kind: str,
    path: Path | str,
    progress: ProgressFn | None = None,
    enqueue_triage: bool = True,
    before_commit: Callable[[ImportSummary], None] | None = None,
    importer: Importer | None = None,
) -> ImportSummary:
    """Import the archive at ``path`` with the ``kind`` importer into ``workspace``.

    Raises ``ImportFormatError`` (nothing written) on a bad file, ``ImportBusy``
    (nothing written) when the same archive is being imported, and ``NotFound``
    on an unknown kind. ``enqueue_triage=False`` leaves labelling to the caller.
    ``before_commit(summary)`` runs inside the import's transaction once every
    record is in, so what it writes (an import job's outcome) commits, or rolls
    back, together with the rows. ``importer``: one ``open_importer`` already
    made for this file, whose ``source()`` the caller has read (some importers
    read the whole archive to find it; once is enough).
    """
    path = Path(path)
    importer = importer or open_importer(workspace=workspace, kind=kind, path=path)
    with locked_is_busy(), transaction.atomic(), _bulk_session(), paused_gc():
        _hold_source(workspace, importer.source())
        ingestor = Ingestor(
            workspace=workspace,
            source=importer.source(),
            on_flush=_reporter(importer, progress) if progress else None,
        )
        try:
            for record in importer.records():
                ingestor.add(record)
        except ImportFormatError:
            raise
        except (OSError, UnicodeError, ValueError, KeyError, TypeError) as exc:
            # importers map what they expect; anything else is still a bad file,
            # but keep the traceback in the log: it may be our bug, not the file's
            log.exception("import of %s failed unexpectedly", path)
            raise ImportFormatError(str(path), f"unreadable archive ({exc})") from None
        summary = ingestor.finish()
        public = _public(kind, ingestor.source, path, summary)
        if before_commit:
            before_commit(public)
        if enqueue_triage and summary.items_created:
            workspace_id = workspace.pk
            transaction.on_commit(lambda: _enqueue_triage(workspace_id))
    if progress:
        _reporter(importer, progress)(summary)
    return public


def open_importer(*, workspace: Workspace, kind: str, path: Path) -> Importer:
    """The ``kind`` importer over ``path``; its ``source()`` names the archive."""
    importer = importer_class(kind)(path, own_emails=_member_emails(workspace))
    if not path.exists():
        raise ImportFormatError(str(path), "no such file or folder")
    return importer


def busy_message(workspace: Workspace) -> str:
    return (
        f"an import of this archive into {workspace.name} is already running; "
        "it brings in everything the file holds — if yours is a newer export, "
        "import it again once that one has finished"
    )


@contextmanager
def locked_is_busy() -> Iterator[None]:
    """SQLite's "database is locked" (another writer held the write lock past the
    busy timeout; the transaction never began or was rolled back) becomes
    ``ImportBusy`` with a message for the user."""
    try:
        yield
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        raise ImportBusy(
            "the database is busy with another import; "
            "nothing was written — try again when it has finished"
        ) from None


def _hold_source(workspace: Workspace, source: str) -> None:
    """Take this transaction's lock on (workspace, source), or refuse at once.

    PostgreSQL: ``pg_try_advisory_xact_lock``, released by the commit or the
    rollback, and by the server when the connection dies (a killed worker holds
    nothing). Without it two imports of one archive both insert the same
    ``(workspace, source, source_id)`` keys and the later one ends in an
    IntegrityError. SQLite needs nothing here: inside ``BEGIN IMMEDIATE`` this
    connection is the only writer.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"import:{workspace.pk}:{source}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        held = cursor.fetchone()[0]
    if not held:
        raise ImportBusy(busy_message(workspace))


@contextmanager
def _bulk_session(kib: int = 128 * 1024) -> Iterator[None]:
    """Tune the connection for one big transaction; call inside ``atomic()``.

    SQLite: a page cache big enough for the indexes (with the default 2 MB every
    insert into the (workspace, source, source_id) index reads pages back from
    disk); 128 MB, given back when the import ends. PostgreSQL: the planner's
    statistics predate the rows this transaction is adding (an empty table, to
    it), so it would scan them on every id look-up; ``enable_seqscan = off``
    (``SET LOCAL``: this transaction only) keeps those on the unique index.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _enqueue_triage(workspace_id: int) -> None:
    from rapport.triage.tasks import triage_pending_task

    triage_pending_task(workspace_id)


def _member_emails(workspace: Workspace) -> frozenset[str]:
    emails = Membership.objects.filter(workspace=workspace).values_list("user__email", flat=True)
    return frozenset(e.lower() for e in emails if e)


def _reporter(importer: Importer, progress: ProgressFn) -> Callable[[IngestSummary], None]:
    total = importer.size_hint()

    def report(summary: IngestSummary) -> None:
        progress(
            ImportProgress(
                bytes_read=importer.position(),
                bytes_total=total,
                posts=summary.posts_created,
                items=summary.items_created,
                skipped=summary.skipped_total,
            )
        )

    return report


def _public(kind: str, source: str, path: Path, summary: IngestSummary) -> ImportSummary:
    return ImportSummary(
        kind=kind,
        source=source,
        path=str(path),
        posts_created=summary.posts_created,
        items_created=summary.items_created,
        signals_created=summary.signals_created,
        already_present=summary.already_present,
        orphans=summary.orphans,
        answered_on_platform=summary.answered_on_platform,
        skipped=dict(summary.skipped.most_common()),
    )
