"""Inbox pages: tabs, the item page and its actions, with and without htmx, per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.services import create_user, create_workspace
from rapport.inbox.models import Item
from tests.people.factories import make_identity, make_item, make_post

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def viewer_client(client, workspace):  # type: ignore[no-untyped-def]
    user, _ = create_user(email="viewer@example.com", workspace=workspace, role="viewer")
    client.force_login(user)
    return client


@pytest.fixture
def stranger_client(client, db):  # type: ignore[no-untyped-def]
    other = create_workspace(slug="elsewhere")
    user, _ = create_user(email="stranger@example.com", workspace=other, role="owner")
    client.force_login(user)
    return client


def inbox_url(workspace, **query: str) -> str:  # type: ignore[no-untyped-def]
    url = reverse("inbox:index", args=[workspace.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_inbox_needs_sign_in(client, workspace):
    response = client.get(inbox_url(workspace))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_main_view_lists_questions_with_their_wait_and_highlights_late_ones(
    owner_client, workspace
):
    make_item(workspace, "Do you deliver to Leeds?", age=timedelta(hours=30))
    make_item(workspace, "Lovely chat about rye", label="conversation")
    make_item(workspace, "Thanks so much!", label="appreciation")
    html = owner_client.get(inbox_url(workspace)).content.decode()
    assert "Do you deliver to Leeds?" in html and "Lovely chat about rye" in html
    assert "Thanks so much!" not in html
    assert html.index("Leeds") < html.index("rye")
    assert "late · waiting 30 h" in html
    assert "past your 24 h target" in html


def test_main_view_ends_with_done_for_today_when_nothing_needs_the_owner(owner_client, workspace):
    make_item(workspace, "Thanks!", label="appreciation")
    html = owner_client.get(inbox_url(workspace)).content.decode()
    assert "Done for today" in html
    assert "can be acknowledged in one click" in html


def test_hostile_comment_html_is_rendered_inert(owner_client, workspace):
    item = make_item(workspace, "hi", label="needs_reply")
    # Written as if a sanitiser bug had let it through at ingest.
    Item.objects.filter(pk=item.pk).update(
        html='<p>hi<script>alert(1)</script><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">x</a></p>',
        text='<script>alert("text")</script>',
        url="javascript:alert(4)",
    )
    for url in (inbox_url(workspace), reverse("inbox:item", args=[workspace.slug, item.pk])):
        html = owner_client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "onerror" not in html
        assert "javascript:" not in html


def test_item_page_shows_thread_post_and_reasons(owner_client, workspace):
    from rapport.triage.models import TriageDecision

    post = make_post(workspace, "Rye bread recipe")
    ana = make_identity(workspace, "Ana")
    root = make_item(workspace, "Great recipe", label="conversation", post=post)
    item = make_item(
        workspace, "How long do I proof it?", post=post, parent=root, root=root, author=ana
    )
    make_item(workspace, "Follow-up from Ben", parent=item, root=root, label="conversation")
    TriageDecision.objects.create(
        item=item, label="needs_reply", confidence=0.93, reasons=["asks a question"], source="model"
    )
    html = owner_client.get(reverse("inbox:item", args=[workspace.slug, item.pk])).content.decode()
    for text in (
        "Rye bread recipe",
        "Great recipe",
        "How long do I proof it?",
        "Follow-up from Ben",
    ):
        assert text in html
    assert "asks a question" in html and "0.93 sure" in html
    assert reverse("people:person", args=[workspace.slug, ana.person_id]) in html


def test_mark_done_from_the_list_with_htmx_removes_the_row(owner_client, workspace):
    item = make_item(workspace)
    url = reverse("inbox:done", args=[workspace.slug, item.pk])
    response = owner_client.post(url, {"from": "list"}, **HTMX)
    assert response.status_code == 200 and response.content == b""
    item.refresh_from_db()
    assert item.state == "done"


def test_mark_done_without_javascript_redirects_back_but_never_off_site(owner_client, workspace):
    item = make_item(workspace)
    url = reverse("inbox:done", args=[workspace.slug, item.pk])
    response = owner_client.post(url, {"from": "list", "back": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == inbox_url(workspace)


def test_reply_to_an_imported_item_is_stored_and_says_it_was_not_sent(owner_client, workspace):
    item = make_item(workspace, "Is it vegan?", age=timedelta(hours=2))
    url = reverse("inbox:reply", args=[workspace.slug, item.pk])
    response = owner_client.post(url, {"text": "Yes, fully vegan."}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "not sent anywhere" in html and "Yes, fully vegan." in html
    assert "Answer it on the site" in html and item.url in html
    item.refresh_from_db()
    assert item.state == "answered" and item.response_seconds >= 7200


def test_empty_reply_is_refused_with_a_message(owner_client, workspace):
    item = make_item(workspace)
    url = reverse("inbox:reply", args=[workspace.slug, item.pk])
    response = owner_client.post(url, {"text": "   "}, **HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert 'class="note error" role="alert"' in response.content.decode()
    assert not Item.objects.filter(is_own=True).exists()


def test_acknowledge_all_clears_appreciation_in_one_action(owner_client, workspace):
    for i in range(3):
        make_item(workspace, f"Thanks {i}", label="appreciation")
    question = make_item(workspace, "A question?")
    html = owner_client.get(inbox_url(workspace, tab="appreciation")).content.decode()
    assert "Acknowledge all" in html
    seen_at = timezone.now().isoformat()
    later = make_item(workspace, "Thanks, arrived while reading", label="appreciation")
    Item.objects.filter(pk=later.pk).update(received_at=timezone.now() + timedelta(seconds=5))
    response = owner_client.post(
        reverse("inbox:acknowledge", args=[workspace.slug]), {"seen_at": seen_at}, **HTMX
    )
    assert "Acknowledged 3 thank-you messages." in response.content.decode()
    assert set(Item.objects.filter(state="done").values_list("text", flat=True)) == {
        f"Thanks {i}" for i in range(3)
    }
    question.refresh_from_db()
    later.refresh_from_db()
    assert question.state == "open" and later.state == "open"


def test_show_more_with_htmx_returns_only_the_next_rows(owner_client, workspace):
    from rapport.inbox.selectors import PAGE_SIZE

    n = PAGE_SIZE + 5
    for i in range(n):
        make_item(workspace, f"question {i:03d}", age=timedelta(hours=100 - i))
    html = owner_client.get(inbox_url(workspace)).content.decode()
    last, first_hidden = f"question {PAGE_SIZE - 1:03d}", f"question {PAGE_SIZE:03d}"
    assert last in html and first_hidden not in html
    start = html.index("after=") + len("after=")
    cursor = html[start : html.index('"', start)]
    more = owner_client.get(inbox_url(workspace, after=cursor), **HTMX).content.decode()
    assert first_hidden in more and f"question {n - 1:03d}" in more
    assert "<html" not in more and last not in more
    assert "Needs reply</h2>" not in more  # the heading is not repeated mid-section
    full = owner_client.get(inbox_url(workspace, after=cursor)).content.decode()
    assert "Needs reply</h2>" in full and "<html" in full  # without htmx: a whole page


def test_unknown_tab_is_404_and_broken_cursor_is_400(owner_client, workspace):
    assert owner_client.get(inbox_url(workspace, tab="nope")).status_code == 404
    assert owner_client.get(inbox_url(workspace, after="%%%")).status_code == 400


def test_viewer_sees_no_action_buttons_and_is_refused_by_the_server(viewer_client, workspace):
    item = make_item(workspace)
    make_item(workspace, "Thanks!", label="appreciation")
    assert (
        "Mark done"
        not in viewer_client.get(
            reverse("inbox:item", args=[workspace.slug, item.pk])
        ).content.decode()
    )
    assert (
        "<button"
        not in viewer_client.get(inbox_url(workspace)).content.decode().split("</header>")[1]
    )
    assert (
        "Acknowledge all"
        not in viewer_client.get(inbox_url(workspace, tab="appreciation")).content.decode()
    )
    for name, data in (("done", {}), ("label", {"label": "spam"}), ("reply", {"text": "hi"})):
        response = viewer_client.post(
            reverse(f"inbox:{name}", args=[workspace.slug, item.pk]), data
        )
        assert response.status_code == 403, name
    ack = viewer_client.post(
        reverse("inbox:acknowledge", args=[workspace.slug]), {"seen_at": timezone.now().isoformat()}
    )
    assert ack.status_code == 403
    item.refresh_from_db()
    assert item.state == "open" and item.label == "needs_reply"


def test_member_of_another_workspace_gets_404_everywhere(stranger_client, workspace):
    item = make_item(workspace)
    for url in (
        inbox_url(workspace),
        reverse("inbox:item", args=[workspace.slug, item.pk]),
    ):
        assert stranger_client.get(url).status_code == 404
    done = stranger_client.post(reverse("inbox:done", args=[workspace.slug, item.pk]))
    assert done.status_code == 404


def test_an_item_id_from_another_workspace_is_404(owner_client, workspace):
    other = create_workspace(slug="other")
    foreign = make_item(other, "secret")
    response = owner_client.get(reverse("inbox:item", args=[workspace.slug, foreign.pk]))
    assert response.status_code == 404
    response = owner_client.post(reverse("inbox:done", args=[workspace.slug, foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == "open"


def test_changing_the_label_with_htmx_redraws_the_item_and_stores_a_correction(
    owner_client, workspace
):
    from rapport.triage.models import TriageDecision

    item = make_item(workspace, "Buy cheap watches", label="needs_reply")
    response = owner_client.post(
        reverse("inbox:label", args=[workspace.slug, item.pk]), {"label": "spam"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="item"' in html and "<html" not in html
    assert "Label set to Spam" in html
    item.refresh_from_db()
    assert item.label == "spam"
    assert TriageDecision.objects.filter(item=item, source="owner").exists()


def test_an_invalid_label_changes_nothing(owner_client, workspace):
    item = make_item(workspace)
    response = owner_client.post(
        reverse("inbox:label", args=[workspace.slug, item.pk]), {"label": "urgent"}, **HTMX
    )
    assert 'class="note error" role="alert"' in response.content.decode()
    item.refresh_from_db()
    assert item.label == "needs_reply"


def test_item_page_links_to_the_next_waiting_item(owner_client, owner, workspace):
    first = make_item(workspace, "first", age=timedelta(hours=5))
    second = make_item(workspace, "second", age=timedelta(hours=2))
    url = reverse("inbox:reply", args=[workspace.slug, first.pk])
    html = owner_client.post(url, {"text": "done"}, **HTMX).content.decode()
    assert reverse("inbox:item", args=[workspace.slug, second.pk]) in html
    services_done = reverse("inbox:done", args=[workspace.slug, second.pk])
    html = owner_client.post(services_done, **HTMX).content.decode()
    assert "Nothing else is waiting." in html


def test_a_reply_being_sent_refreshes_itself_until_the_worker_is_done(owner_client, workspace):
    item = make_item(workspace)
    make_item(
        workspace,
        "On its way",
        is_own=True,
        parent=item,
        root=item,
        state="done",
        signals={"delivery": {"status": "pending"}},
    )
    html = owner_client.get(reverse("inbox:item", args=[workspace.slug, item.pk])).content.decode()
    assert 'hx-trigger="load delay:4s"' in html and "Sending through" in html


def test_a_failed_reply_shows_the_reason(owner_client, workspace):
    item = make_item(workspace)
    make_item(
        workspace,
        "Did not go",
        is_own=True,
        parent=item,
        root=item,
        state="done",
        signals={"delivery": {"status": "failed", "error": "token revoked: reconnect Social"}},
    )
    html = owner_client.get(reverse("inbox:item", args=[workspace.slug, item.pk])).content.decode()
    assert "Not sent: token revoked: reconnect Social" in html
