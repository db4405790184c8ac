"""The desk report: honest figures for a period, the page, the CSV export, access."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.services import create_user, create_workspace
from rapport.inbox import services
from rapport.inbox.models import Item
from rapport.reports.periods import parse_period
from rapport.reports.selectors import desk_report
from tests.people.factories import make_identity, make_item


def answer(item: Item, owner, after: timedelta) -> None:  # type: ignore[no-untyped-def]
    services.reply(item=item, user=owner, text="answer")
    Item.objects.filter(pk=item.pk).update(
        answered_at=item.created_at + after, response_seconds=int(after.total_seconds())
    )


@pytest.fixture
def busy(workspace, owner):  # type: ignore[no-untyped-def]
    ana, ben = make_identity(workspace, "Ana"), make_identity(workspace, "Ben")
    q1 = make_item(workspace, "q1", author=ana, age=timedelta(days=2))
    q2 = make_item(workspace, "q2", author=ben, age=timedelta(days=3))
    q3 = make_item(workspace, "q3", author=ben, age=timedelta(days=4))
    make_item(workspace, "late question", author=ana, age=timedelta(days=2))
    make_item(workspace, "chat", label="conversation", author=ana)
    make_item(workspace, "thanks", label="appreciation", author=ben)
    make_item(workspace, "spam", label="spam", author=make_identity(workspace, "Bot"))
    make_item(workspace, "last year", age=timedelta(days=400))
    answer(q1, owner, timedelta(hours=1))
    answer(q2, owner, timedelta(hours=3))
    answer(q3, owner, timedelta(hours=30))
    return workspace


def report_for(workspace, **params: str):  # type: ignore[no-untyped-def]
    now = timezone.now()
    period = parse_period(params or {"period": "30"}, tz=workspace.timezone, today=now.date())
    return desk_report(workspace=workspace, period=period, now=now)


def figures(report) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {f.key: f.value for f in report.figures}


def test_report_counts_what_matters_in_the_period(busy):
    report = report_for(busy)
    values = figures(report)
    assert report.received == 7  # "last year" is outside, the owner's replies are not counted
    assert {r.label: r.count for r in report.by_label} == {
        "needs_reply": 4,
        "conversation": 1,
        "appreciation": 1,
        "spam": 1,
    }
    assert values["answered"] == 3
    assert values["median_response_seconds"] == 3 * 3600
    assert values["answered_within_target"] == 2
    assert values["waiting_past_target"] == 1  # "late question"
    assert values["conversations"] == 3
    assert values["people_engaged"] == 2  # the spam bot is not engaged
    assert values["posts_delivered"] == 0


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(workspace, owner):
    for hours in (1, 2, 4, 10):
        answer(make_item(workspace, age=timedelta(days=1)), owner, timedelta(hours=hours))
    assert figures(report_for(workspace))["median_response_seconds"] == 3 * 3600


def test_empty_workspace_reports_no_median_rather_than_zero(workspace):
    values = figures(report_for(workspace))
    assert values["answered"] == 0 and values["median_response_seconds"] is None


def test_posts_delivered_counts_sent_deliveries_only(workspace):
    from rapport.channels.models import Channel
    from rapport.publish.models import Delivery, Post

    channel = Channel.objects.create(workspace=workspace, kind="feed", name="Feed")
    now = timezone.now()
    for status in ("sent", "failed", "scheduled"):
        post = Post.objects.create(workspace=workspace, title=status)
        Delivery.objects.create(
            post=post,
            channel=channel,
            status=status,
            due_at=now,
            sent_at=now if status == "sent" else None,
        )
    assert figures(report_for(workspace))["posts_delivered"] == 1


def test_report_page_shows_substance_first_and_offers_csv(owner_client, busy):
    html = owner_client.get(
        reverse("reports:index", args=[busy.slug]), {"period": "7"}
    ).content.decode()
    assert "Last 7 days" in html
    assert html.index("Median response time") < html.index("Likes")
    assert "3 h" in html  # the median, in words
    assert reverse("reports:export", args=[busy.slug]) + "?period=7" in html


def test_csv_export_has_the_figures(owner_client, busy):
    response = owner_client.get(reverse("reports:export", args=[busy.slug]), {"period": "30"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = {row[0]: row[1] for row in csv.reader(io.StringIO(response.content.decode()))}
    assert rows["answered"] == "3" and rows["median_response_seconds"] == "10800.0"
    assert rows["received_needs_reply"] == "4" and rows["people_engaged"] == "2"


def test_bad_period_is_400(owner_client, workspace):
    response = owner_client.get(reverse("reports:index", args=[workspace.slug]), {"period": "12"})
    assert response.status_code == 400


def test_viewer_can_read_and_a_member_of_another_workspace_gets_404(client, workspace):
    viewer, _ = create_user(email="v@example.com", workspace=workspace, role="viewer")
    other = create_workspace(slug="other")
    stranger, _ = create_user(email="s@example.com", workspace=other, role="owner")
    urls = [
        reverse("reports:index", args=[workspace.slug]),
        reverse("reports:export", args=[workspace.slug]),
    ]
    client.force_login(viewer)
    assert [client.get(u).status_code for u in urls] == [200, 200]
    client.force_login(stranger)
    assert [client.get(u).status_code for u in urls] == [404, 404]
