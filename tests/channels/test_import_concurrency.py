"""Two imports of the same archive at once: the second is refused (or, below the job
layer on SQLite, waits), never an IntegrityError, never a row twice.

Runs on SQLite and on PostgreSQL (``DATABASE_URL``). The threads use their own
database connections; the first import is held open *inside* its transaction
(its progress callback waits) while the second one starts. The last test does
the same with two real ``rapport import`` processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from rapport.accounts.services import create_workspace
from rapport.channels.import_jobs import run_job, start_cli
from rapport.channels.importing import ImportBusy, run_import
from rapport.channels.models import ImportJob
from rapport.inbox.models import Item

pytestmark = pytest.mark.django_db(transaction=True)

BLOG = Path(__file__).resolve().parents[1] / "fixtures" / "wxr" / "blog.xml"
BUSY = "an import of this archive into Acme Bakery is already running"


@pytest.fixture
def workspace(transactional_db: None):  # type: ignore[no-untyped-def]
    return create_workspace(slug="acme", name="Acme Bakery")


class HeldImport:
    """Run ``target(progress)`` in a thread that stops inside the import's
    transaction (at its first progress report) until released."""

    def __init__(self, target: Callable[[Callable[[Any], None]], Any]) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(target,), daemon=True)

    def _hold(self, _progress: Any) -> None:
        if not self.inside.is_set():
            self.inside.set()
            assert self.release.wait(60), "never released"

    def _run(self, target: Callable[[Callable[[Any], None]], Any]) -> None:
        try:
            self.result = target(self._hold)
        except BaseException as exc:
            self.error = exc
        finally:
            connections.close_all()

    def __enter__(self) -> HeldImport:
        self.thread.start()
        assert self.inside.wait(30), "the first import never reached its transaction"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(60)
        assert not self.thread.is_alive()


def _cli_job(workspace: Any) -> Callable[[Callable[[Any], None]], ImportJob | None]:
    def target(progress: Callable[[Any], None]) -> ImportJob | None:
        job = start_cli(workspace=workspace, kind="wxr", path=BLOG)
        return run_job(job_id=job.pk, path=BLOG, progress=progress, triage=False)

    return target


def test_second_job_of_the_same_archive_is_refused_while_the_first_runs(workspace):
    with HeldImport(_cli_job(workspace)) as first:
        started = time.monotonic()
        with pytest.raises(ImportBusy, match=BUSY):
            start_cli(workspace=workspace, kind="wxr", path=BLOG)
        assert time.monotonic() - started < 5  # refused at once, not after a lock wait
        assert ImportJob.objects.get().state == "running"
    assert first.error is None, first.error
    assert first.result.state == "done" and first.result.items_created == 8
    assert Item.objects.count() == 8
    # once it has finished, the same archive imports again (adding nothing)
    again = run_job(job_id=start_cli(workspace=workspace, kind="wxr", path=BLOG).pk, path=BLOG)
    assert again is not None and again.state == "done"
    assert (again.items_created, again.already_present) == (0, 11)


def test_two_queued_jobs_of_one_archive_claimed_at_once(workspace, settings, tmp_path):
    """Both uploads were queued before either ran; the claims race: one imports,
    the other is refused with the message (or, if it came after, adds nothing)."""
    settings.DATA_DIR = tmp_path
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    jobs = []
    for n in range(2):
        (uploads / f"u{n}.xml").write_bytes(BLOG.read_bytes())
        jobs.append(
            ImportJob.objects.create(
                workspace=workspace, kind="wxr", file_name="blog.xml", upload=f"u{n}.xml"
            )
        )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(job_id: int) -> None:
        try:
            barrier.wait(10)
            run_job(job_id=job_id, triage=False)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    outcomes = sorted(
        (job.state, job.items_created, job.error[: len(BUSY)])
        for job in ImportJob.objects.order_by("pk")
    )
    assert outcomes in (
        [("done", 0, ""), ("done", 8, "")],  # one after the other
        [("done", 8, ""), ("failed", 0, BUSY)],  # the second refused
    ), outcomes
    assert Item.objects.count() == 8
    assert list(uploads.iterdir()) == []  # both uploads deleted


def test_below_the_job_layer_the_database_keeps_one_import_per_archive(workspace):
    """``run_import`` itself: PostgreSQL refuses the second at once (advisory lock);
    SQLite makes it wait for the first's write lock, then it adds nothing."""

    def first(progress: Callable[[Any], None]) -> Any:
        return run_import(
            workspace=workspace, kind="wxr", path=BLOG, progress=progress, enqueue_triage=False
        )

    second: dict[str, Any] = {}

    def run_second() -> None:
        try:
            second["summary"] = run_import(
                workspace=workspace, kind="wxr", path=BLOG, enqueue_triage=False
            )
        except BaseException as exc:
            second["error"] = exc
        finally:
            connections.close_all()

    with HeldImport(first) as held:
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(2 if connection.vendor == "sqlite" else 20)
        if connection.vendor == "postgresql":
            assert not thread.is_alive()
            assert isinstance(second.get("error"), ImportBusy), second
            assert BUSY in str(second["error"])
        else:
            assert thread.is_alive()  # waiting for the write lock
    thread.join(30)
    assert held.error is None and held.result.items_created == 8
    if connection.vendor == "sqlite":
        assert "error" not in second, second
        assert second["summary"].items_created == 0 and second["summary"].already_present == 11
    assert Item.objects.count() == 8


def _big_wxr(path: Path, comments: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from import_wxr import generate
    finally:
        sys.path.pop(0)
    generate(path, comments)


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    from django.conf import settings

    env = dict(os.environ)
    env.update(DATABASE_URL=_database_url(), RAPPORT_DATA_DIR=str(settings.DATA_DIR))
    yield env


def test_two_cli_processes_importing_one_archive(workspace, tmp_path, cli_env):
    """Two real ``rapport import`` processes: the second says what is running and exits 1."""
    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a database file that another process can open")
    archive = tmp_path / "big.xml"
    _big_wxr(archive, 30_000)
    rapport = [
        sys.executable,
        "-m",
        "rapport",
        "import",
        "wxr",
        str(archive),
        "--workspace",
        "acme",
    ]
    first = subprocess.Popen(
        [*rapport, "--no-triage"], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not ImportJob.objects.filter(state="running").exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first import never started"
            time.sleep(0.05)
        second = subprocess.run(
            [*rapport, "--no-triage"], env=cli_env, capture_output=True, text=True, timeout=120
        )
        still_running = first.poll() is None
    finally:
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err.decode()[-2000:]
    if still_running:  # the usual case: refused while the first was running
        assert second.returncode == 1, second.stderr[-2000:]
        assert BUSY in " ".join(second.stderr.split()), second.stderr[-2000:]
    else:  # the first finished before the second looked: it found everything present
        assert second.returncode == 0 and "comments:        0 new" in second.stdout
    assert "comments:        30000 new" in out.decode()
    assert Item.objects.filter(workspace=workspace).count() == 30_000
    assert ImportJob.objects.filter(via="cli", state="done").count() == 1 + (not still_running)


OTHER_BLOG = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Other blog</title><link>https://other.example</link>
<wp:base_site_url>https://other.example</wp:base_site_url>
<item><title>Hello</title><link>https://other.example/hello/</link>
  <wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
  <wp:post_date_gmt>2024-03-05 09:00:00</wp:post_date_gmt>
  <wp:comment><wp:comment_id>1</wp:comment_id>
    <wp:comment_author>Zed</wp:comment_author>
    <wp:comment_author_email>zed@other.example</wp:comment_author_email>
    <wp:comment_date_gmt>2024-03-05 10:00:00</wp:comment_date_gmt>
    <wp:comment_content>Do you ship to Norway?</wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
  </wp:comment></item>
</channel></rss>
"""


def test_upload_of_another_archive_while_an_import_runs(workspace, client, settings, tmp_path):
    """PostgreSQL imports it beside the running one; SQLite, whose one write lock the
    running import holds, says so clearly instead of failing with "database is locked"."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from rapport.accounts.services import create_user

    settings.DATA_DIR = tmp_path
    owner, _ = create_user(email="o@example.com", workspace=workspace, role="owner")
    client.force_login(owner)
    upload = SimpleUploadedFile("other.xml", OTHER_BLOG.encode())
    with HeldImport(_cli_job(workspace)):
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 300")  # not the 20 s of real life
        response = client.post(
            reverse("imports:index", args=["acme"]), {"kind": "wxr", "file": upload}
        )
        if connection.vendor == "sqlite":
            assert response.status_code == 409
            assert "The database is busy with another import" in response.content.decode()
            assert ImportJob.objects.count() == 1  # only the running one
        else:
            assert response.status_code == 302
            other = ImportJob.objects.get(file_name="other.xml")
            assert other.state == "done" and other.items_created == 1
    assert list((tmp_path / "uploads").iterdir()) == []
    assert Item.objects.filter(source="wxr:blog.acme-bakery.example").count() == 8


def test_a_queued_job_waits_for_the_running_import_on_sqlite_only(workspace, settings, tmp_path):
    """SQLite: the worker's claim needs the write lock the running import holds; the job
    stays queued, says it is waiting, and runs when the lock is free. PostgreSQL runs
    imports of different archives side by side: the job finishes while the other is held."""
    from rapport.channels import import_progress
    from rapport.channels.import_jobs import WAITING
    from rapport.channels.import_status import job_status

    settings.DATA_DIR = tmp_path
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "other.xml").write_text(OTHER_BLOG)
    job = ImportJob.objects.create(
        workspace=workspace, kind="wxr", file_name="other.xml", upload="other.xml"
    )
    finished = threading.Event()

    def worker() -> None:
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 200")
            run_job(job_id=job.pk, triage=False)
        finally:
            connections.close_all()
            finished.set()

    if connection.vendor != "sqlite":
        with HeldImport(_cli_job(workspace)):
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join(30)
            assert finished.is_set(), "the job waited for an import of another archive"
        job.refresh_from_db()
        assert (job.state, job.items_created) == ("done", 1)
        return
    with HeldImport(_cli_job(workspace)):
        thread = threading.Thread(target=worker)
        thread.start()
        deadline = time.monotonic() + 10
        while (import_progress.read(job.pk) or {}).get("note") != WAITING:
            assert time.monotonic() < deadline, "the job never said it was waiting"
            time.sleep(0.05)
        assert job_status(ImportJob.objects.get(pk=job.pk))["note"] == WAITING
        assert not finished.is_set()
    thread.join(30)
    job.refresh_from_db()
    assert (job.state, job.items_created) == ("done", 1)
    assert import_progress.read(job.pk) is None
