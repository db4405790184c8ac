"""People pages and the people API: list, search, paging, timeline; roles."""

from __future__ import annotations

import json
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import ApiToken
from rapport.accounts.services import create_user, create_workspace
from rapport.inbox import services
from rapport.inbox.models import Item
from rapport.people.models import Person
from tests.people.factories import make_identity, make_item


def test_people_list_shows_most_recent_first_with_counts(owner_client, workspace):
    ana = make_identity(workspace, "Ana")
    make_identity(workspace, "Ben")
    Person.objects.filter(pk=ana.person_id).update(
        last_interaction_at=timezone.now() - timedelta(days=3), interactions=17
    )
    html = owner_client.get(reverse("people:index", args=[workspace.slug])).content.decode()
    assert html.index("Ben") < html.index("Ana")
    assert '<td class="num">17</td>' in html[html.index("Ana") :]


def test_people_search_matches_names_and_handles(owner_client, workspace):
    make_identity(workspace, "Ana Lopez")
    make_identity(workspace, "Ben Miller")
    url = reverse("people:index", args=[workspace.slug])
    html = owner_client.get(url, {"q": "lopez"}).content.decode()
    assert "Ana Lopez" in html and "Ben Miller" not in html
    html = owner_client.get(url, {"q": "ben.miller@"}).content.decode()
    assert "Ben Miller" in html and "Ana Lopez" not in html
    assert "No one matches" in owner_client.get(url, {"q": "zed"}).content.decode()


def test_own_accounts_are_not_listed_as_people(owner_client, workspace):
    me = make_identity(workspace, "Acme Bakery")
    Person.objects.filter(pk=me.person_id).update(is_self=True)
    html = owner_client.get(reverse("people:index", args=[workspace.slug])).content.decode()
    assert "Acme Bakery</a>" not in html


def test_people_pages_follow_each_other(owner_client, workspace):
    from rapport.people.selectors import people_page

    now = timezone.now()
    for i in range(7):
        identity = make_identity(workspace, f"P{i}")
        moment = None if i == 6 else now - timedelta(hours=i if i != 3 else 2)
        Person.objects.filter(pk=identity.person_id).update(last_interaction_at=moment)
    seen, after = [], None
    while True:
        page = people_page(workspace=workspace, after=after, limit=2)
        seen += [row.person.display_name for row in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert sorted(seen) == [f"P{i}" for i in range(7)] and len(seen) == 7
    assert seen[-1] == "P6"  # never interacted: last


def test_person_page_shows_identities_and_timeline_with_replies(owner_client, owner, workspace):
    ana = make_identity(workspace, "Ana")
    first = make_item(workspace, "First question", author=ana, age=timedelta(days=2))
    make_item(workspace, "Second thought", author=ana, label="conversation")
    services.reply(item=first, user=owner, text="Here is the answer")
    html = owner_client.get(
        reverse("people:person", args=[workspace.slug, ana.person_id])
    ).content.decode()
    assert "ana@example.com" in html
    assert (
        html.index("Here is the answer")
        < html.index("Second thought")
        < html.index("First question")
    )
    assert "You replied" in html


def test_person_of_another_workspace_is_404(owner_client, workspace):
    other = create_workspace(slug="other")
    foreign = make_identity(other, "Eve")
    url = reverse("people:person", args=[workspace.slug, foreign.person_id])
    assert owner_client.get(url).status_code == 404


def test_member_of_another_workspace_gets_404_and_viewer_can_read(client, workspace):
    ana = make_identity(workspace, "Ana")
    other = create_workspace(slug="other")
    stranger, _ = create_user(email="s@example.com", workspace=other, role="owner")
    viewer, _ = create_user(email="v@example.com", workspace=workspace, role="viewer")
    urls = [
        reverse("people:index", args=[workspace.slug]),
        reverse("people:person", args=[workspace.slug, ana.person_id]),
    ]
    client.force_login(stranger)
    assert [client.get(u).status_code for u in urls] == [404, 404]
    client.force_login(viewer)
    assert [client.get(u).status_code for u in urls] == [200, 200]


def test_people_api_lists_people_for_members_only(client, owner, workspace):
    make_identity(workspace, "Ana")
    _, token = ApiToken.issue(user=owner)
    response = client.get("/api/w/acme/people/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    body = response.json()
    assert [p["display_name"] for p in body["people"]] == ["Ana"]
    assert body["people"][0]["platforms"] == ["wxr"]
    assert body["people"][0]["interactions"] == 1
    assert client.get("/api/w/acme/people/").status_code == 401
    other = create_workspace(slug="other")
    stranger, _ = create_user(email="s@example.com", workspace=other, role="owner")
    _, foreign = ApiToken.issue(user=stranger)
    response = client.get("/api/w/acme/people/", HTTP_AUTHORIZATION=f"Bearer {foreign}")
    assert response.status_code == 404
    assert json.loads(response.content)["detail"]


def test_long_history_timeline_keeps_the_newest_messages_and_replies(owner, workspace):
    """A regular with more messages than the page holds: the newest ones and the replies
    among them are shown; a reply older than every message shown cannot be on the page."""
    from rapport.people.selectors import person_view

    ana = make_identity(workspace, "Ana")
    items = [
        make_item(workspace, f"message {i}", author=ana, age=timedelta(hours=100 - i))
        for i in range(30)
    ]
    old_reply = make_item(workspace, "old answer", age=timedelta(hours=99, minutes=30))
    recent_reply = make_item(workspace, "recent answer", age=timedelta(minutes=30))
    Item.objects.filter(pk=old_reply.pk).update(is_own=True, parent=items[0], author=None)
    Item.objects.filter(pk=recent_reply.pk).update(is_own=True, parent=items[1], author=None)
    view = person_view(person=Person.objects.get(pk=ana.person_id), limit=10)
    texts = [entry.item.text for entry in view.timeline]
    assert texts[0] == "recent answer" and view.timeline[0].is_reply
    assert texts[1:] == [f"message {i}" for i in range(29, 20, -1)]
    assert view.truncated and "old answer" not in texts
