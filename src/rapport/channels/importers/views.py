"""The import page: upload an archive, watch its import job, see the outcome.

The upload is streamed to a file under ``DATA_DIR/uploads`` (never held in
memory) and handed to an import job, which a worker runs; the request returns
at once and the job's page polls a small JSON endpoint for its progress, then
shows the summary or the error. Only members who may import (editors and
owners) see, start or poll the jobs of their workspace.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from rapport.accounts.models import Role, Workspace
from rapport.channels import import_jobs
from rapport.channels.import_status import job_status, recent_jobs
from rapport.channels.importing import ImportBusy, busy_message, open_importer
from rapport.channels.models import ImportJob
from rapport.channels.registry import importer_classes
from rapport.web.access import workspace_for

MAX_UPLOAD_BYTES = 4 * 1024**3


def _suffix(name: str) -> str:
    """``export.tar.gz`` -> ``.tar.gz``: importers may look at it; nothing else is kept."""
    suffix = "".join(Path(name).suffixes[-2:]).lower()
    return suffix if re.fullmatch(r"(\.[a-z0-9]{1,8}){1,2}", suffix) else ""


class UploadToDataDir(TemporaryFileUploadHandler):
    """Write every uploaded file straight to ``DATA_DIR/uploads``, capped in size."""

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        super(TemporaryFileUploadHandler, self).new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self.file = _UploadFile(file_name, content_type, 0, self.charset)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > MAX_UPLOAD_BYTES:
            raise StopUpload(connection_reset=True)  # upload_interrupted() removes the file
        self.file.write(raw_data)


class _UploadFile(TemporaryUploadedFile):
    def __init__(self, name: str, content_type: str, size: int, charset: str | None) -> None:
        # deleted when closed, which Django does at the end of the request; a job
        # that takes the file over links it under its own name first
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
            suffix=".upload" + _suffix(name), dir=import_jobs.upload_dir()
        )
        super(TemporaryUploadedFile, self).__init__(handle, name, content_type, size, charset)


@login_required
@csrf_exempt  # the CSRF check runs in ``_index`` once the upload handler is set
def index(request: HttpRequest, slug: str) -> HttpResponse:
    request.upload_handlers = [UploadToDataDir(request)]
    return _index(request, slug)


@csrf_protect
def _index(request: HttpRequest, slug: str) -> HttpResponse:
    workspace, _ = workspace_for(request, slug, Role.EDITOR)
    if request.method != "POST":
        return _page(request, workspace)
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    try:
        if upload is None:
            return _page(request, workspace, kind=kind, error="Choose a file to import.")
        if kind not in importer_classes():
            return _page(request, workspace, error="Choose one of the formats listed.")
        job = _start(request, workspace, kind, upload)
    except ImportBusy as exc:
        return _page(request, workspace, kind=kind, error=_sentence(str(exc)), status=409)
    finally:
        for handle in request.FILES.getlist("file"):
            _remove(handle)
    return redirect("imports:job", slug=workspace.slug, job_id=job.pk)


def _start(request: HttpRequest, workspace: Workspace, kind: str, upload: Any) -> ImportJob:
    """Give the upload to a new job under a name of its own; refuse a second copy at once.

    The check before the job is created names the import already running
    instead of queueing a job that could only be refused (and, on SQLite,
    instead of waiting for that import's write lock to create a row).
    """
    upload.file.flush()
    stored = import_jobs.upload_dir() / f"import-{secrets.token_hex(8)}{_suffix(upload.name)}"
    try:
        os.link(upload.temporary_file_path(), stored)  # no copy: the same file, a second name
    except OSError:
        shutil.copyfile(upload.temporary_file_path(), stored)  # a file system without links
    try:
        if _already_running(workspace, kind, stored):
            raise ImportBusy(busy_message(workspace))
        return import_jobs.start_upload(
            workspace=workspace,
            user=request.user,  # type: ignore[arg-type]
            kind=kind,
            file_name=Path(upload.name).name,
            stored=stored,
        )
    except BaseException:
        stored.unlink(missing_ok=True)
        raise


def _already_running(workspace: Workspace, kind: str, path: Path) -> bool:
    try:
        source = open_importer(workspace=workspace, kind=kind, path=path).source()
    except Exception:  # the job will say what is wrong with the file
        return False
    return import_jobs.running_import_of(workspace=workspace, source=source) is not None


def _remove(upload: Any) -> None:
    """Close (and so delete) the uploaded copy now rather than at the end of the request."""
    with contextlib.suppress(OSError):
        upload.close()


@login_required
@require_GET
def job_page(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    workspace, _ = workspace_for(request, slug, Role.EDITOR)
    current = _job(workspace, job_id)
    return _page(request, workspace, current=current)


@login_required
@require_GET
@never_cache
def job_progress(request: HttpRequest, slug: str, job_id: int) -> JsonResponse:
    """What the page polls while a job runs."""
    workspace, _ = workspace_for(request, slug, Role.EDITOR)
    return JsonResponse(job_status(_job(workspace, job_id)))


def _job(workspace: Workspace, job_id: int) -> ImportJob:
    """The job if it is this workspace's (404 otherwise), settled if its worker died."""
    get_object_or_404(ImportJob, pk=job_id, workspace=workspace)
    import_jobs.reap_interrupted(workspace=workspace)
    return ImportJob.objects.get(pk=job_id)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _page(
    request: HttpRequest,
    workspace: Workspace,
    *,
    kind: str = "",
    error: str = "",
    status: int = 200,
    current: ImportJob | None = None,
) -> HttpResponse:
    if current is None:
        import_jobs.reap_interrupted(workspace=workspace)
    jobs = recent_jobs(workspace=workspace)
    if current is None and jobs and not jobs[0].finished:
        current = jobs[0]  # coming back to the page shows the import still under way
    kinds = sorted((k, cls.label or k) for k, cls in importer_classes().items())
    context = {
        "workspace": workspace,
        "section": "channels",
        "kinds": kinds,
        "selected": kind or (current.kind if current else "wxr"),
        "error": error,
        "current": current,
        "current_status": job_status(current) if current else None,
        "jobs": jobs,
    }
    return render(request, "imports/index.html", context, status=status)
