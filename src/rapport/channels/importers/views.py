"""The import page: pick a format, upload an archive, see the summary or the error.

The upload is streamed to a file under ``DATA_DIR/uploads`` (never held in
memory), imported in one transaction, then deleted. Small imports are triaged
before the redirect, so the inbox shows labels at once; big ones are left to
the worker.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from rapport.accounts.models import Role, Workspace
from rapport.channels.importing import ImportSummary, run_import
from rapport.channels.registry import importer_classes
from rapport.errors import ImportFormatError, NotFound
from rapport.web.access import workspace_for

MAX_UPLOAD_BYTES = 4 * 1024**3
INLINE_TRIAGE_MAX = 50_000


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _suffix(name: str) -> str:
    """``export.tar.gz`` -> ``.tar.gz``: importers may look at it; nothing else is kept."""
    suffix = "".join(Path(name).suffixes[-2:]).lower()
    return suffix if re.fullmatch(r"(\.[a-z0-9]{1,8}){1,2}", suffix) else ""


class UploadToDataDir(TemporaryFileUploadHandler):
    """Write every uploaded file straight to ``DATA_DIR/uploads``, capped in size."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super(TemporaryFileUploadHandler, self).new_file(*args, **kwargs)
        self.file = _UploadFile(self.file_name, self.content_type, 0, self.charset)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > MAX_UPLOAD_BYTES:
            raise StopUpload(connection_reset=True)  # upload_interrupted() removes the file
        self.file.write(raw_data)


class _UploadFile(TemporaryUploadedFile):
    def __init__(self, name: str, content_type: str, size: int, charset: str | None) -> None:
        # deleted when closed, which Django does at the end of the request
        handle = tempfile.NamedTemporaryFile(suffix=".upload" + _suffix(name), dir=upload_dir())  # noqa: SIM115
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
        summary = _import(workspace, kind, upload)
    except ImportFormatError as exc:
        where = f"{upload.name}, line {exc.line}" if exc.line else upload.name  # type: ignore[union-attr]
        return _page(request, workspace, kind=kind, error=f"{where}: {exc.reason}", status=400)
    except NotFound as exc:
        return _page(request, workspace, kind=kind, error=str(exc), status=400)
    finally:
        for handle in request.FILES.getlist("file"):
            _remove(handle)
    messages.success(request, summary.describe())
    return redirect("inbox:index", slug=workspace.slug)


def _import(workspace: Workspace, kind: str, upload: Any) -> ImportSummary:
    path = Path(upload.temporary_file_path())
    upload.file.flush()
    summary = run_import(workspace=workspace, kind=kind, path=path, enqueue_triage=False)
    if summary.items_created:
        if summary.items_created <= INLINE_TRIAGE_MAX:
            from rapport.triage.services import triage_pending

            triage_pending(workspace=workspace)
        else:
            from rapport.triage.tasks import triage_pending_task

            triage_pending_task(workspace.pk)
    return summary


def _remove(upload: Any) -> None:
    """Close (and so delete) the uploaded copy now rather than at the end of the request."""
    with contextlib.suppress(OSError):
        upload.close()


def _page(
    request: HttpRequest,
    workspace: Workspace,
    *,
    kind: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    kinds = sorted((k, cls.label or k) for k, cls in importer_classes().items())
    context = {
        "workspace": workspace,
        "section": "channels",
        "kinds": kinds,
        "selected": kind or "wxr",
        "error": error,
    }
    return render(request, "imports/index.html", context, status=status)
