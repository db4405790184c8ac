"""The desk in a real Chromium: sign in, bring comments in, triage, correct, reply.

Runs against pytest-django's ``live_server`` with Debian's ``/usr/bin/chromium``
driven by Playwright. A hostile comment must never run script: the page would
set ``window.__pwned`` or open a dialog, and the test fails if either happens.
"""

from __future__ import annotations

import os
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


HOSTILE = (
    "<p>Nice post<script>window.__pwned = 'script'; alert('script')</script>"
    "<img src=x onerror=\"window.__pwned = 'onerror'; alert('onerror')\">"
    "<a href=\"javascript:window.__pwned='link';alert('link')\">see my page</a></p>"
)


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


def test_owner_triages_corrects_and_replies_in_a_real_browser(live_server, page, desk):
    from datetime import timedelta

    from rapport.inbox.models import Item
    from tests.people.factories import make_identity, make_item, make_post

    ws = desk["workspace"]
    post = make_post(ws, "Sourdough for beginners")
    ben = make_identity(ws, "Ben Miller")
    make_item(ws, "Can I use rye flour for the starter, and how often should I feed it?",
              post=post, author=ben, age=timedelta(hours=30))
    make_item(ws, "Do you ship to Leeds?", post=post, author=make_identity(ws, "Cara"))
    make_item(ws, "I tried this with spelt and it came out dense, but tasty.",
              label="conversation", post=post, author=make_identity(ws, "Dev"))
    make_item(ws, "Thank you!!", label="appreciation", post=post)
    make_item(ws, "Cheap watches at http://spam.example", label="spam", post=post)
    hostile = make_item(ws, "Nice post see my page", label="needs_reply", post=post,
                        author=make_identity(ws, "Mallory"))
    Item.objects.filter(pk=hostile.pk).update(html=HOSTILE, url="javascript:alert('url')")

    sign_in(page, live_server.url)
    page.get_by_role("heading", name="Needs reply").wait_for()
    assert page.get_by_text("Do you ship to Leeds?").is_visible()
    assert page.get_by_text("Cheap watches").count() == 0
    shot(page, "inbox")
    assert_no_script_ran(page)

    page.get_by_text("Nice post see my page").click()
    page.wait_for_url(f"**/w/acme/inbox/{hostile.pk}/")
    page.get_by_text("see my page").click()
    shot(page, "hostile")
    assert_no_script_ran(page)

    page.goto(live_server.url + "/w/acme/inbox/")
    page.get_by_text("Do you ship to Leeds?").click()
    page.select_option("select[name=label]", "conversation")
    page.get_by_role("button", name="Change label").click()
    page.get_by_text("Label set to Conversation").wait_for()
    page.fill("textarea[name=text]", "Not yet, but we are working on it!")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("not sent anywhere").first.wait_for()
    shot(page, "item")
    assert_no_script_ran(page)
