"""What the import page shows about jobs: the recent ones, and one job as JSON for polling.

A finished job is read from its row; a running one from its live progress
(``import_progress``), since its counts are in an open transaction.
"""

from __future__ import annotations

from typing import Any

from rapport.accounts.models import Workspace
from rapport.channels import import_progress
from rapport.channels.models import ImportJob, ImportState

RECENT = 10


def recent_jobs(*, workspace: Workspace, limit: int = RECENT) -> list[ImportJob]:
    return list(
        ImportJob.objects.filter(workspace=workspace)
        .select_related("started_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def job_status(job: ImportJob) -> dict[str, Any]:
    """The JSON the page polls: state, progress so far, and the outcome once there is one."""
    status: dict[str, Any] = {
        "id": job.pk,
        "state": job.state,
        "finished": job.finished,
        "kind": job.kind,
        "file_name": job.file_name,
        "bytes_read": 0,
        "bytes_total": job.size or None,
        "posts": job.posts_created,
        "comments": job.items_created,
        "signals": job.signals_created,
        "already_present": job.already_present,
        "skipped": job.skipped,
        "skipped_reasons": sorted(job.skipped_reasons.items(), key=lambda kv: -kv[1]),
        "summary": job.summary,
        "error": job.error,
        "note": "",
    }
    if job.state == ImportState.QUEUED:
        status["note"] = (import_progress.read(job.pk) or {}).get("note", "")
    if job.state == ImportState.DONE:
        status["bytes_read"] = status["bytes_total"]
    elif job.state == ImportState.RUNNING:
        live = import_progress.read(job.pk) or {}
        status["bytes_read"] = live.get("bytes_read", 0)
        status["bytes_total"] = live.get("bytes_total") or status["bytes_total"]
        status["posts"] = live.get("posts", 0)
        status["comments"] = live.get("items", 0)
        status["skipped"] = live.get("skipped", 0)
    status["percent"] = percent(status["bytes_read"], status["bytes_total"])
    return status


def percent(done: int | None, total: int | None) -> int | None:
    """Whole percent of bytes read; None when the size is unknown (a folder, say)."""
    if not total:
        return None
    return max(0, min(100, int(100 * (done or 0) / total)))
