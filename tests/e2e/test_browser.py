"""The desk in a real Chromium: sign in, bring comments in, triage, correct, reply.

Runs against pytest-django's ``live_server`` with Debian's ``/usr/bin/chromium``
driven by Playwright. A hostile comment must never run script: the page would
set ``window.__pwned`` or open a dialog, and the test fails if either happens.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse 42"
SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_or_skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made
    # by fixtures in the same thread are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []  # type: ignore[attr-defined]
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda msg: (
            page.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def assert_no_script_ran(page: Any) -> None:
    assert page.evaluate("() => window.__pwned === undefined"), "a hostile comment ran script"
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    assert page.csp_errors == [], f"script reached the page and was blocked: {page.csp_errors}"


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"
PAYLOAD = "window.__pwned = true; alert('pwned')"
HOSTILE_WXR = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Acme Bakery Blog</title><link>https://blog.acme-bakery.example</link>
<wp:base_site_url>https://blog.acme-bakery.example</wp:base_site_url>
<item>
  <title><![CDATA[<script>{PAYLOAD}</script>Opening hours]]></title>
  <link>https://blog.acme-bakery.example/2024/03/hours/</link>
  <content:encoded><![CDATA[<p>We open at 8.</p>]]></content:encoded>
  <wp:post_id>77</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
  <wp:post_date_gmt>2024-03-05 09:00:00</wp:post_date_gmt>
  <wp:comment>
    <wp:comment_id>777</wp:comment_id>
    <wp:comment_author><![CDATA[<img src=x onerror="{PAYLOAD}">Mallory]]></wp:comment_author>
    <wp:comment_author_email>mallory@evil.example</wp:comment_author_email>
    <wp:comment_author_url>javascript:{PAYLOAD}</wp:comment_author_url>
    <wp:comment_date_gmt>2024-03-05 10:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[Is this safe?<script>{PAYLOAD}</script>
<img src=x onerror="{PAYLOAD}"><svg onload="{PAYLOAD}"></svg>
<a href="javascript:{PAYLOAD}">my site</a> <iframe src="javascript:{PAYLOAD}"></iframe>]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved>
    <wp:comment_parent>0</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id>
  </wp:comment>
</item>
</channel></rss>
"""


@pytest.fixture
def desk(transactional_db: None) -> dict[str, Any]:
    from rapport.accounts.services import create_user, create_workspace

    workspace = create_workspace(slug="acme", name="Acme Bakery")
    user, _ = create_user(
        email="owner@example.com", workspace=workspace, role="owner", password=PASSWORD
    )
    return {"workspace": workspace, "user": user}


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", "owner@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/w/acme/inbox/")


@pytest.fixture
def worker() -> Iterator[threading.Event]:
    """A real huey worker (a thread taking tasks from the data directory's queue).

    It takes a task only while the returned event is set, so the test can see
    the job page waiting for it, then watch the page follow the job to its end
    by polling, without a reload.
    """
    from django.conf import settings
    from django.db import connections

    huey = settings.HUEY
    huey.immediate = False  # the autouse fixture puts it back
    huey.flush()
    go, stop = threading.Event(), threading.Event()

    def work() -> None:
        while not stop.is_set():
            if not go.wait(0.1):
                continue
            task = huey.dequeue()
            if task is None:
                time.sleep(0.05)
                continue
            try:
                huey.execute(task)
            finally:
                connections.close_all()

    thread = threading.Thread(target=work, name="e2e-worker", daemon=True)
    thread.start()
    yield go
    # drop what is still queued (a triage the import queued, say), let the task
    # under way finish: the database goes away with the test
    stop.set()
    huey.flush()
    thread.join(300)
    assert not thread.is_alive(), "the worker is still busy"


def import_wxr(page: Any, base: str, path: Path, worker: threading.Event, summary: str) -> None:
    """Upload ``path`` through the import page, as the owner would, and watch the job."""
    from rapport.inbox.models import Item

    worker.clear()
    page.goto(base + "/w/acme/import/")
    page.select_option("select[name=kind]", "wxr")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/w/acme/import/jobs/*/")
    panel = page.locator("#import-job")
    assert panel.get_attribute("data-state") == "queued"
    assert panel.get_by_text("Waiting for a worker…").is_visible()
    worker.set()  # the page polls and follows the job to its end
    page.locator('#import-job[data-state="done"]').wait_for()
    assert panel.locator('[data-field="summary"]').inner_text().startswith(summary)
    assert panel.locator("progress").get_attribute("value") == "100"
    job_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.locator(f"#import-{job_id} .outcome").inner_text().startswith(summary)
    shot(page, f"import-{path.stem}")
    assert_no_script_ran(page)
    # the job labels what it brought in right after it says done; wait for that
    for _ in range(100):
        if not Item.objects.filter(workspace__slug="acme", is_own=False, label="").exists():
            break
        time.sleep(0.05)
    page.get_by_role("link", name="Open the inbox").click()
    page.wait_for_url("**/w/acme/inbox/")


def item_id(source_id: str) -> int:
    from rapport.inbox.models import Item

    return Item.objects.get(workspace__slug="acme", source_id=source_id).pk


def test_owner_imports_triages_corrects_and_replies_in_a_real_browser(
    live_server: Any, page: Any, desk: dict[str, Any], tmp_path: Path, worker: threading.Event
) -> None:
    from rapport.inbox.models import Item

    base = live_server.url
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(HOSTILE_WXR, encoding="utf-8")

    sign_in(page, base)
    import_wxr(page, base, FIXTURES / "blog.xml", worker, "Imported 8 comments and 3 posts")
    import_wxr(page, base, hostile, worker, "Imported 1 comment and 1 post")

    # The triaged inbox: questions first, each with how long it has waited.
    page.get_by_role("heading", name="Needs reply").wait_for()
    question = page.get_by_text("Does the rye loaf contain any wheat?")
    assert question.is_visible()
    assert page.get_by_text("Give it about a week").count() == 0  # the owner's own reply
    # ...which answered Ben's question in the blog itself, so it does not wait here
    assert page.get_by_text("How long should I wait before the first bake?").count() == 0
    assert page.locator(".item.late .waiting").first.inner_text().startswith("late")
    shot(page, "inbox")
    assert_no_script_ran(page)

    # The hostile comment is shown as text wherever triage put it, and on its own page;
    # none of its script runs, even when its link is clicked.
    for tab in ("main", "appreciation", "spam", "done"):
        page.goto(f"{base}/w/acme/inbox/?tab={tab}")
        shot(page, f"tab-{tab}")
        assert_no_script_ran(page)
    page.goto(f"{base}/w/acme/inbox/{item_id('777')}/")
    page.get_by_text("Is this safe?").wait_for()
    page.get_by_text("my site").click()
    page.wait_for_timeout(300)
    shot(page, "hostile")
    assert_no_script_ran(page)

    # Correct a label: Dora asks whether the loaf keeps for a week; that needs a reply.
    dora = item_id("202")
    page.goto(f"{base}/w/acme/inbox/{dora}/")
    page.select_option("select[name=label]", "needs_reply")
    page.get_by_role("button", name="Change label").click()
    page.get_by_text("Label set to Needs reply").wait_for()
    assert Item.objects.get(pk=dora).decisions.filter(source="owner").exists()

    # Reply to Carl; the archive has no channel, so the page says where to post it.
    page.goto(base + "/w/acme/inbox/")
    page.get_by_text("Does the rye loaf contain any wheat?").click()
    page.fill("textarea[name=text]", "No wheat at all: it is 100 % rye.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("not sent anywhere").first.wait_for()
    assert page.get_by_role("link", name="Answer it on the site").is_visible()
    shot(page, "item")
    carl = Item.objects.get(pk=item_id("201"))
    assert carl.state == "answered" and carl.response_seconds is not None
    assert Item.objects.filter(parent=carl, is_own=True, text__startswith="No wheat").exists()

    # Back in the inbox: Carl is answered, Dora now waits among the questions.
    page.goto(base + "/w/acme/inbox/")
    page.get_by_role("heading", name="Needs reply").wait_for()
    assert page.get_by_text("Does the rye loaf contain any wheat?").count() == 0
    assert page.get_by_text("keeps for a week").is_visible()
    assert_no_script_ran(page)

    # Thanks are cleared in one action; a row leaves the list when marked done (htmx).
    page.goto(base + "/w/acme/inbox/?tab=appreciation")
    if page.get_by_role("button", name="Acknowledge all").count():
        page.get_by_role("button", name="Acknowledge all").click()
        page.get_by_text("Acknowledged").wait_for()
        assert page.get_by_text("No thanks waiting.").is_visible()
    page.goto(base + "/w/acme/inbox/")
    row = page.locator("li.item", has_text="keeps for a week")
    row.get_by_role("button", name="Done").click()
    row.wait_for(state="detached")
    assert Item.objects.get(pk=item_id("202")).state == "done"

    # The people behind the comments, and the report, show the same work.
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_role("link", name="Carl").click()
    page.get_by_text("You replied").wait_for()
    assert page.get_by_text("No wheat at all").is_visible()
    shot(page, "person")
    page.get_by_role("link", name="Report", exact=True).click()
    page.get_by_role("link", name="Last 90 days").click()
    answered = page.locator(".figure", has_text="Answered").first
    assert answered.locator(".value").inner_text() == "1"  # answered today, asked in 2024
    page.fill("input[name=start]", "2024-03-01")
    page.fill("input[name=end]", "2024-03-31")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("people wrote in this period").wait_for()
    shot(page, "report")
    assert_no_script_ran(page)


def test_import_page_shows_live_progress_of_a_big_archive(
    live_server: Any,
    page: Any,
    desk: dict[str, Any],
    tmp_path: Path,
    worker: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the worker is inside the import's transaction, the page's bar and counts move."""
    import sys

    from rapport.channels import import_jobs

    # labelling 60,000 comments afterwards is the triage tests' business, not this one's
    monkeypatch.setattr(import_jobs, "_triage", lambda workspace, created: None)

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from import_wxr import generate
    finally:
        sys.path.pop(0)
    archive = tmp_path / "big-blog.xml"
    generate(archive, 60_000)

    sign_in(page, live_server.url)
    worker.set()
    page.goto(live_server.url + "/w/acme/import/")
    page.set_input_files("input[name=file]", str(archive))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/w/acme/import/jobs/*/")
    page.wait_for_function(
        """() => {
          const panel = document.getElementById("import-job");
          const comments = panel.querySelector('[data-field="comments"]');
          return panel.dataset.state === "running" && Number(comments.textContent) > 0;
        }""",
        timeout=60_000,
    )
    panel = page.locator("#import-job")
    value = int(panel.locator("progress").get_attribute("value") or 0)
    comments = int(panel.locator('[data-field="comments"]').inner_text())
    assert 0 < value < 100 and 0 < comments < 60_000, (value, comments)
    assert panel.get_by_text("Importing…").is_visible()
    job_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.locator(f"#import-{job_id} .outcome", has_text="Importing…").wait_for()
    assert " of " in panel.locator('[data-field="bytes"]').inner_text()
    shot(page, "import-running")
    page.locator('#import-job[data-state="done"]').wait_for(timeout=120_000)
    assert (
        panel.locator('[data-field="summary"]')
        .inner_text()
        .startswith("Imported 60000 comments and 60 posts")
    )
    assert_no_script_ran(page)
