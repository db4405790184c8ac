"""Import jobs: an uploaded archive (or a CLI run) imported by a worker, with its outcome.

A job's row moves queued → running → done | failed, and each move is its own
short write outside the import's transaction, except the last: ``done`` with
its counts is written *inside* the import's transaction (``run_import``'s
``before_commit``), so it commits together with the rows it counts. A job is
therefore never "done" for an import that rolled back, and never "running"
for one that committed. ``failed`` is written after the rollback.

While the import runs, its progress lives in ``import_progress`` (see there
why not in the database). A worker that dies mid-import leaves its row
"running"; ``reap_interrupted`` turns such a row into ``failed`` once its
heartbeat is gone (or at once when its process is known dead, as after a
worker restart), which is true to the data: the transaction rolled back.

Only one import of an archive (workspace, source) runs at a time. The claim
refuses a job whose archive is already being imported by a live job; the
transaction-level lock in ``importing`` makes that exact on PostgreSQL, and on
SQLite the claim itself runs under the database's only write lock.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from rapport.accounts.models import User, Workspace
from rapport.channels import import_progress
from rapport.channels.importers.base import Importer
from rapport.channels.importing import (
    ImportBusy,
    ImportProgress,
    ImportSummary,
    busy_message,
    locked_is_busy,
    open_importer,
    run_import,
)
from rapport.channels.models import ImportJob, ImportState
from rapport.errors import ImportFormatError, NotFound

log = logging.getLogger(__name__)

INLINE_TRIAGE_MAX = 50_000
INTERRUPTED = (
    "the import was interrupted (its worker stopped before it finished); "
    "nothing was written — upload the file again"
)
MISSING_UPLOAD = (
    "the uploaded file is not in this worker's data directory (at scale, web and worker "
    "processes must share DATA_DIR/uploads); nothing was written — upload it again"
)
WAITING = "Waiting for another import to finish (SQLite writes one at a time)…"
UNEXPECTED = "the import failed unexpectedly; nothing was written (the server log has the details)"
T = TypeVar("T")


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_upload(
    *, workspace: Workspace, user: User | None, kind: str, file_name: str, stored: Path
) -> ImportJob:
    """Queue an import of ``stored`` (a file in ``upload_dir()``, which the job now owns).

    On SQLite, while another import holds the write lock, the row waits for it
    up to the busy timeout, then ``ImportBusy`` says so.
    """
    with locked_is_busy():
        job = ImportJob.objects.create(
            workspace=workspace,
            kind=kind,
            file_name=file_name[:255],
            size=stored.stat().st_size,
            upload=stored.name,
            started_by=user,
            via="web",
        )
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    from rapport.channels.tasks import run_import_job_task

    run_import_job_task(job_id)


def start_cli(*, workspace: Workspace, kind: str, path: Path) -> ImportJob:
    """A job for an import the CLI runs in the foreground; refused at once when busy.

    The check before the write matters on SQLite: while another import holds
    the write lock, creating the row would wait for it.
    """
    source = open_importer(workspace=workspace, kind=kind, path=path).source()
    if running_import_of(workspace=workspace, source=source) is not None:
        raise ImportBusy(busy_message(workspace))
    with locked_is_busy():
        return ImportJob.objects.create(
            workspace=workspace,
            kind=kind,
            file_name=path.name[:255],  # the server's folders are nobody's business on the page
            size=_size(path),
            via="cli",
        )


def running_import_of(*, workspace: Workspace, source: str) -> ImportJob | None:
    """The live job importing ``source`` into ``workspace``, if any (reads only)."""
    running = ImportJob.objects.filter(
        workspace=workspace, source=source, state=ImportState.RUNNING
    )
    return next((job for job in running if is_live(job)), None)


def is_live(job: ImportJob) -> bool:
    snapshot = import_progress.read(job.pk)
    beat = snapshot.get("beat") if snapshot else None
    if beat is None and job.started_at is not None:
        beat = job.started_at.timestamp()  # claimed, no beat yet
    return import_progress.runner_alive(job.runner, beat)


def run_job(
    *,
    job_id: int,
    path: Path | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    triage: bool = True,
) -> ImportJob | None:
    """Run a queued job to its end; a job that is not queued is left alone.

    Every queue delivers at least once, so a second delivery must find nothing
    to do: the claim is a conditional update from ``queued``. ``path`` is the
    CLI's own file; a web job reads its upload, deleted when the job ends.
    """
    job = ImportJob.objects.select_related("workspace").filter(pk=job_id).first()
    if job is None or job.state != ImportState.QUEUED:
        return job
    path = path or upload_dir() / job.upload
    try:
        if job.via == "web" and not path.exists():
            return _fail(job, MISSING_UPLOAD)
        try:
            importer = open_importer(workspace=job.workspace, kind=job.kind, path=path)
            source = importer.source()
        except (ImportFormatError, NotFound) as exc:
            return _fail(job, _message(job, exc))
        if not _claim(job, source):
            return job
        summary = _import(job, importer, progress)
    except (ImportFormatError, ImportBusy, NotFound) as exc:
        return _fail(job, _message(job, exc))
    except Exception:
        log.exception("import job %s failed", job.pk)
        _fail(job, UNEXPECTED)
        raise
    except BaseException:  # Ctrl-C in the CLI, a worker told to exit: rolled back
        _fail(job, INTERRUPTED)
        raise
    finally:
        _clean_up(job)
    if triage and summary.items_created:
        _triage(job.workspace, summary.items_created)
    return job


def _claim(job: ImportJob, source: str) -> bool:
    """queued → running, or → failed when a live job is importing the same archive.

    One write transaction: on SQLite it holds the only write lock, so no two
    claims interleave; on PostgreSQL two racing claims may both pass and the
    import's advisory lock refuses the second.
    """

    def claim() -> bool:
        with transaction.atomic():
            if running_import_of(workspace=job.workspace, source=source) is not None:
                job.state, job.error = ImportState.FAILED, busy_message(job.workspace)
                job.source, job.finished_at = source, timezone.now()
                fields = ["state", "source", "error", "finished_at"]
            else:
                job.state, job.source = ImportState.RUNNING, source
                job.runner, job.started_at = import_progress.runner_id(), timezone.now()
                fields = ["state", "source", "runner", "started_at"]
            updated = ImportJob.objects.filter(pk=job.pk, state=ImportState.QUEUED).update(
                **{f: getattr(job, f) for f in fields}
            )
            if not updated:  # another delivery of the task got there first
                job.refresh_from_db()
                return False
            return job.state == ImportState.RUNNING

    return _patiently(claim, waiting=lambda: import_progress.write(job.pk, {"note": WAITING}))


def _import(
    job: ImportJob, importer: Importer, progress: Callable[[ImportProgress], None] | None
) -> ImportSummary:
    with import_progress.Heartbeat(job.pk) as heartbeat:

        def report(state: ImportProgress) -> None:
            heartbeat.update(state)
            if progress:
                progress(state)

        return run_import(
            workspace=job.workspace,
            kind=job.kind,
            path=importer.path,
            progress=report,
            enqueue_triage=False,
            before_commit=lambda summary: _record_done(job, summary),
            importer=importer,
        )


def _record_done(job: ImportJob, summary: ImportSummary) -> None:
    """Write the outcome inside the import's transaction: it commits with the rows."""
    job.state = ImportState.DONE
    job.posts_created = summary.posts_created
    job.items_created = summary.items_created
    job.signals_created = summary.signals_created
    job.already_present = summary.already_present
    job.answered_on_platform = summary.answered_on_platform
    job.orphans = summary.orphans
    job.skipped = summary.skipped_total
    job.skipped_reasons = dict(summary.skipped)
    job.summary = summary.describe()
    job.error = ""  # a reaper that took a stalled heartbeat for a dead worker was wrong
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "state", "posts_created", "items_created", "signals_created", "already_present",
            "answered_on_platform", "orphans", "skipped", "skipped_reasons", "summary",
            "error", "finished_at",
        ]
    )  # fmt: skip


def _fail(job: ImportJob, message: str) -> ImportJob:
    """Record a failure, unless the job's outcome already committed as done (an
    error after the commit, in a progress display say, changes nothing written)."""
    finished_at = timezone.now()
    updated = _patiently(
        lambda: (
            ImportJob.objects.filter(pk=job.pk)
            .exclude(state=ImportState.DONE)
            .update(state=ImportState.FAILED, error=message, finished_at=finished_at)
        )
    )
    if updated:
        job.state, job.error, job.finished_at = ImportState.FAILED, message, finished_at
    else:
        job.refresh_from_db()
    return job


def _message(job: ImportJob, exc: Exception) -> str:
    """The error for the user, naming the file as they know it (not our stored copy)."""
    if isinstance(exc, ImportFormatError):
        where = f"{job.file_name}, line {exc.line}" if exc.line else job.file_name
        return f"{where}: {exc.reason}"
    return str(exc)


def _clean_up(job: ImportJob) -> None:
    """Once the job has ended, its upload and its live progress are of no more use."""
    if job.state not in (ImportState.DONE, ImportState.FAILED):
        return
    import_progress.forget(job.pk)
    if job.upload:
        with contextlib.suppress(OSError):
            (upload_dir() / job.upload).unlink(missing_ok=True)


def _triage(workspace: Workspace, created: int) -> None:
    """Label small imports at once (the inbox shows labels when the job says done)."""
    if created <= INLINE_TRIAGE_MAX:
        from rapport.triage.services import triage_pending

        triage_pending(workspace=workspace)
    else:
        from rapport.triage.tasks import triage_pending_task

        triage_pending_task(workspace.pk)


def reap_interrupted(*, workspace: Workspace | None = None) -> int:
    """Mark running jobs whose runner is gone as failed; returns how many.

    Called by the import page and its polling endpoint, and by every worker at
    start-up. A write only happens for a job that is really stale.
    """
    running = ImportJob.objects.filter(state=ImportState.RUNNING)
    if workspace is not None:
        running = running.filter(workspace=workspace)
    reaped = 0
    for job in running:
        if is_live(job):
            continue
        try:
            updated = ImportJob.objects.filter(
                pk=job.pk, state=ImportState.RUNNING, runner=job.runner
            ).update(state=ImportState.FAILED, error=INTERRUPTED, finished_at=timezone.now())
        except OperationalError:
            continue  # SQLite busy with an import: next time
        if updated:
            job.state = ImportState.FAILED
            _clean_up(job)
            reaped += 1
    return reaped


def _patiently(
    write: Callable[[], T], *, attempts: int = 30, waiting: Callable[[], None] | None = None
) -> T:
    """Run a short write, waiting out SQLite's lock while another import holds it.

    Each attempt already waits the busy timeout (20 s), so 30 attempts outlast
    a 1,000,000-comment import; PostgreSQL never raises "locked" here.
    ``waiting()`` is called once, when the first attempt has had to give up.
    """
    for attempt in range(attempts):
        try:
            return write()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            if attempt == 0 and waiting is not None:
                waiting()
            time.sleep(0.5)
    raise AssertionError("unreachable")


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
