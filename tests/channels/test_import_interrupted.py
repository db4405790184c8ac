"""A worker that dies mid-import leaves its job "running": the page settles it as failed.

Nothing was written (the transaction rolled back), so the job says so and the
user can upload again. A runner on this host is checked by its pid (a restarted
worker is noticed at once); elsewhere, by its heartbeat going stale.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.urls import reverse

from rapport.channels import import_progress
from rapport.channels.import_jobs import INTERRUPTED, reap_interrupted, upload_dir
from rapport.channels.models import ImportJob
from rapport.channels.tasks import reap_interrupted_imports
from rapport.inbox.models import Item


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _running(workspace, runner: str, **fields) -> ImportJob:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return ImportJob.objects.create(
        workspace=workspace, kind="wxr", file_name="blog.xml", state="running",
        source="wxr:blog.example", runner=runner, started_at=timezone.now(), **fields,
    )  # fmt: skip


@pytest.mark.django_db
def test_job_of_a_dead_worker_on_this_host_is_failed_at_once(owner_client, workspace):
    stored = upload_dir() / "import-dead.xml"
    stored.write_bytes(b"<rss/>")
    job = _running(workspace, f"{import_progress.runner_id().rpartition(':')[0]}:{_dead_pid()}",
                   upload=stored.name)  # fmt: skip
    response = owner_client.get(reverse("imports:progress", args=[workspace.slug, job.pk]))
    status = response.json()
    assert status["state"] == "failed" and status["finished"] is True
    assert status["error"] == INTERRUPTED and "nothing was written" in status["error"]
    assert not stored.exists()  # the upload goes with the job
    page = owner_client.get(reverse("imports:index", args=[workspace.slug])).content.decode()
    assert "interrupted" in page


@pytest.mark.django_db
def test_job_elsewhere_is_failed_only_when_its_heartbeat_is_stale(workspace, monkeypatch):
    job = _running(workspace, "other-host:4242")
    import_progress.write(job.pk, {"beat": time.time(), "runner": job.runner})
    assert reap_interrupted(workspace=workspace) == 0
    assert ImportJob.objects.get(pk=job.pk).state == "running"

    stale = time.time() - import_progress.STALE_SECONDS - 1
    import_progress.write(job.pk, {"beat": stale, "runner": job.runner})
    assert reap_interrupted(workspace=workspace) == 1
    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", INTERRUPTED) and job.finished_at
    assert import_progress.read(job.pk) is None


@pytest.mark.django_db
def test_claimed_job_without_any_beat_counts_from_its_claim(workspace):
    from datetime import timedelta

    from django.utils import timezone

    fresh = _running(workspace, "other-host:1")
    old = _running(workspace, "other-host:2")
    ImportJob.objects.filter(pk=old.pk).update(
        started_at=timezone.now() - timedelta(seconds=import_progress.STALE_SECONDS + 5)
    )
    assert reap_interrupted() == 1
    assert ImportJob.objects.get(pk=fresh.pk).state == "running"
    assert ImportJob.objects.get(pk=old.pk).state == "failed"


@pytest.mark.django_db
def test_worker_start_up_settles_jobs_its_predecessor_left(workspace):
    job = _running(workspace, f"{import_progress.runner_id().rpartition(':')[0]}:{_dead_pid()}")
    reap_interrupted_imports()
    assert ImportJob.objects.get(pk=job.pk).state == "failed"


@pytest.mark.django_db
def test_finished_and_live_jobs_are_left_alone(workspace):
    done = ImportJob.objects.create(
        workspace=workspace, kind="wxr", file_name="a.xml", state="done"
    )
    live = _running(workspace, import_progress.runner_id())  # this very process
    assert reap_interrupted() == 0
    assert ImportJob.objects.get(pk=done.pk).state == "done"
    assert ImportJob.objects.get(pk=live.pk).state == "running"


@pytest.mark.django_db(transaction=True)
def test_killed_import_process_writes_nothing_and_its_job_is_failed(tmp_path, owner_client):
    """kill -9 a real ``rapport import`` mid-way: no rows, and the job reads as interrupted."""
    from django.conf import settings

    from rapport.accounts.models import Workspace
    from tests.channels.test_import_concurrency import _big_wxr, _database_url

    settings.HUEY.immediate = False  # read the progress the other process writes (restored after)
    workspace = Workspace.objects.get(slug="acme")
    archive = tmp_path / "big.xml"
    _big_wxr(archive, 60_000)
    env = dict(os.environ, DATABASE_URL=_database_url(), RAPPORT_DATA_DIR=str(settings.DATA_DIR))
    process = subprocess.Popen(
        [sys.executable, "-m", "rapport", "import", "wxr", str(archive), "--workspace", "acme",
         "--no-triage"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _progressed(workspace):
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    job = ImportJob.objects.get(workspace=workspace)
    assert job.state == "running"  # what the dead process left
    status = owner_client.get(reverse("imports:progress", args=["acme", job.pk])).json()
    assert status["state"] == "failed" and status["error"] == INTERRUPTED
    if connection.vendor == "sqlite":
        connection.close()  # a fresh connection sees the rolled-back file
    assert not Item.objects.filter(workspace=workspace).exists()


def _progressed(workspace) -> bool:  # type: ignore[no-untyped-def]
    """True once the running job reports some bytes read (it is inside its transaction)."""
    job = ImportJob.objects.filter(workspace=workspace, state="running").first()
    if job is None:
        return False
    live = import_progress.read(job.pk) or {}
    return live.get("bytes_read", 0) > 0 and live.get("items", 0) > 0
