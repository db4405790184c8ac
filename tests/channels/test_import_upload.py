"""The import page: an upload becomes an import job; its page polls progress, then shows the outcome.

Huey runs in immediate mode here, so the job runs when the upload's
transaction commits (``django_capture_on_commit_callbacks``) and the page
the upload redirects to already shows the outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rapport.accounts.services import create_user, create_workspace
from rapport.channels.models import ImportJob
from rapport.inbox.models import Item

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"


def _upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else (FIXTURES / name).read_bytes())


@pytest.fixture
def url(workspace) -> str:
    return reverse("imports:index", args=[workspace.slug])


@pytest.fixture
def uploads(settings) -> Path:
    return Path(settings.DATA_DIR) / "uploads"


@pytest.fixture
def post(owner_client, url, django_capture_on_commit_callbacks):
    """POST an upload and run what it queued on commit (the import job, in immediate mode)."""

    def post(data: dict, client=None):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return (client or owner_client).post(url, data)

    return post


def _progress(client, workspace, job: ImportJob) -> dict:
    response = client.get(reverse("imports:progress", args=[workspace.slug, job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response.json()


def test_page_offers_formats_and_a_file_field(owner_client, url):
    page = owner_client.get(url).content.decode()
    assert '<select name="kind"' in page and 'value="wxr"' in page
    assert '<input type="file" name="file"' in page
    assert ">Import</button>" in page
    assert "No imports yet." in page


def test_upload_becomes_a_job_whose_page_shows_the_summary(
    owner_client, post, workspace, owner, uploads
):
    before = set(uploads.glob("*")) if uploads.exists() else set()
    response = post({"kind": "wxr", "file": _upload("blog.xml")})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:job", args=[workspace.slug, job.pk])
    assert (job.state, job.kind, job.file_name, job.via) == ("done", "wxr", "blog.xml", "web")
    assert job.started_by == owner and job.size == (FIXTURES / "blog.xml").stat().st_size
    assert (job.items_created, job.posts_created) == (8, 3)
    assert job.started_at and job.finished_at and job.source == "wxr:blog.acme-bakery.example"
    assert Item.objects.filter(workspace=workspace).count() == 8
    assert not Item.objects.filter(is_own=False, label="").exists()  # triaged by the job
    assert set(uploads.glob("*")) == before  # the uploaded copy is gone

    page = owner_client.get(response["Location"]).content.decode()
    assert "Imported 8 comments and 3 posts" in page
    assert "pingback or trackback" in page  # the skipped reasons
    assert 'data-state="done"' in page and "imports/imports.js" in page
    assert f'id="import-{job.pk}"' in page  # in the list of recent imports


def test_progress_json_of_a_finished_job_has_the_counts(owner_client, post, workspace):
    post({"kind": "wxr", "file": _upload("blog.xml")})
    job = ImportJob.objects.get()
    status = _progress(owner_client, workspace, job)
    assert status["state"] == "done" and status["finished"] is True
    assert (status["comments"], status["posts"], status["percent"]) == (8, 3, 100)
    assert status["bytes_read"] == status["bytes_total"] == job.size
    assert status["skipped"] == job.skipped > 0
    assert status["summary"].startswith("Imported 8 comments and 3 posts")
    assert [[reason, n] for reason, n in job.skipped_reasons.items()] == status["skipped_reasons"]
    assert "pingback or trackback" in status["skipped_reasons"][0][0]
    assert status["error"] == ""


def test_progress_json_of_a_running_job_reads_the_live_progress(owner_client, workspace):
    """While the import's transaction is open, the counts come from the live store."""
    from rapport.channels import import_progress

    job = ImportJob.objects.create(
        workspace=workspace, kind="wxr", file_name="big.xml", size=1000, state="running",
        runner=import_progress.runner_id(),
    )  # fmt: skip
    heartbeat = import_progress.Heartbeat(job.pk)
    heartbeat.snapshot.update(bytes_read=250, bytes_total=1000, posts=2, items=40, skipped=1)
    heartbeat.beat()
    status = _progress(owner_client, workspace, job)
    assert status["state"] == "running" and status["finished"] is False
    assert (status["percent"], status["posts"], status["comments"], status["skipped"]) == (
        25, 2, 40, 1,
    )  # fmt: skip
    page = owner_client.get(reverse("imports:job", args=[workspace.slug, job.pk])).content.decode()
    assert 'data-state="running"' in page and "Importing…" in page
    # back on the Import page, the import under way is shown with its progress
    page = owner_client.get(reverse("imports:index", args=[workspace.slug])).content.decode()
    assert 'id="import-job"' in page and "big.xml" in page and 'value="25"' in page
    import_progress.forget(job.pk)


def test_bad_upload_fails_the_job_naming_file_and_line_and_writes_nothing(
    owner_client, post, workspace, uploads
):
    before = set(uploads.glob("*")) if uploads.exists() else set()
    response = post({"kind": "wxr", "file": _upload("truncated.xml")})
    job = ImportJob.objects.get()
    assert job.state == "failed"
    assert job.error.startswith("truncated.xml, line ") and "truncated" in job.error
    assert "import-" not in job.error  # the user's file name, not our stored copy's
    assert not Item.objects.exists()
    assert set(uploads.glob("*")) == before
    status = _progress(owner_client, workspace, job)
    assert status["state"] == "failed" and status["error"] == job.error
    page = owner_client.get(response["Location"]).content.decode()
    assert "truncated.xml, line" in page and 'data-state="failed"' in page


def test_hostile_file_name_is_escaped(owner_client, post):
    response = post({"kind": "wxr", "file": _upload("<img src=x onerror=alert(1)>.xml", b"junk")})
    page = owner_client.get(response["Location"]).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert ImportJob.objects.get().state == "failed"


def test_unknown_format_is_refused(owner_client, url):
    response = owner_client.post(url, {"kind": "myspace", "file": _upload("blog.xml")})
    assert "Choose one of the formats" in response.content.decode()
    assert not Item.objects.exists() and not ImportJob.objects.exists()


def test_missing_file_is_refused(owner_client, url):
    response = owner_client.post(url, {"kind": "wxr"})
    assert "Choose a file" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_viewer_cannot_import_see_or_poll_jobs(client, post, workspace, url):
    post({"kind": "wxr", "file": _upload("blog.xml")})
    job = ImportJob.objects.get()
    viewer, _ = create_user(email="v@example.com", workspace=workspace, role="viewer")
    client.force_login(viewer)
    assert post({"kind": "wxr", "file": _upload("blog.xml")}, client=client).status_code == 403
    assert client.get(url).status_code == 403
    assert client.get(reverse("imports:job", args=[workspace.slug, job.pk])).status_code == 403
    assert client.get(reverse("imports:progress", args=[workspace.slug, job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1


def test_another_workspaces_job_is_not_found(owner_client, owner, workspace):
    other = create_workspace(slug="other", name="Other Shop")
    foreign = ImportJob.objects.create(workspace=other, kind="wxr", file_name="theirs.xml")
    create_user(email=owner.email, workspace=other, role="owner")  # a member of both
    for name in ("imports:job", "imports:progress"):
        response = owner_client.get(reverse(name, args=[workspace.slug, foreign.pk]))
        assert response.status_code == 404
    response = owner_client.get(reverse("imports:job", args=[other.slug, foreign.pk]))
    assert response.status_code == 200 and "theirs.xml" in response.content.decode()


def test_same_archive_already_running_is_refused_at_upload(owner_client, post, workspace, uploads):
    from rapport.channels import import_progress

    ImportJob.objects.create(
        workspace=workspace, kind="wxr", file_name="blog.xml", state="running",
        source="wxr:blog.acme-bakery.example", runner=import_progress.runner_id(),
    )  # fmt: skip
    import_progress.Heartbeat(ImportJob.objects.get().pk).beat()
    before = set(uploads.glob("*")) if uploads.exists() else set()
    response = post({"kind": "wxr", "file": _upload("blog.xml")})
    assert response.status_code == 409
    assert "import of this archive into Acme Bakery is already running" in response.content.decode()
    assert ImportJob.objects.count() == 1 and not Item.objects.exists()
    assert set(uploads.glob("*")) == before


def test_csrf_is_still_checked(owner, workspace, url):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(url, {"kind": "wxr", "file": _upload("blog.xml")})
    assert response.status_code == 403
    assert not Item.objects.exists() and not ImportJob.objects.exists()


def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("kind", ["wxr", "disqus", "mastodon", "x", "bluesky"])
@pytest.mark.parametrize("data", [b"junk", b"", b"PK\x03\x04 not a zip", b"\x1f\x8b not gzip"])
def test_junk_of_any_format_fails_its_job_with_the_file_named(
    owner_client, post, workspace, uploads, kind, data
):
    before = set(uploads.glob("*")) if uploads.exists() else set()
    response = post({"kind": kind, "file": _upload("export.bin", data)})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.state == "failed" and job.error.startswith("export.bin"), job.error
    assert not Item.objects.exists()
    assert set(uploads.glob("*")) == before
