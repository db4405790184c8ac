"""Weekly queue slots in the workspace's time zone: no drift at daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.errors import ValidationError
from rapport.publish.queue import add_slot, next_free_slot, occurrences, week_ahead
from rapport.publish.services import compose_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def berlin(workspace):  # type: ignore[no-untyped-def]
    workspace.timezone = "Europe/Berlin"
    workspace.save()
    return workspace


def test_slot_stays_at_local_time_across_dst(berlin, fake_channel):
    add_slot(channel=fake_channel, weekday="mon", at="09:00")
    after = datetime(2027, 3, 20, tzinfo=UTC)  # DST starts Sunday 28 March 2027
    first, second = list(occurrences(fake_channel, after=after, days=10))
    assert first == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert second == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_slot_in_the_skipped_hour_moves_forward(berlin, fake_channel):
    add_slot(channel=fake_channel, weekday="sun", at="02:30")
    after = datetime(2027, 3, 27, tzinfo=UTC)
    [when] = list(occurrences(fake_channel, after=after, days=2))
    assert when == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )  # 03:30 CEST, the hour 02-03 does not exist


def test_add_to_queue_takes_the_next_free_slot_per_channel(berlin, fake_channel, feed_channel):
    now = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Berlin
    add_slot(channel=fake_channel, weekday="tue", at="09:00")
    add_slot(channel=feed_channel, weekday="mon", at="18:00")
    posts = [
        compose_post(
            workspace=berlin,
            author=None,
            title=f"P{i}",
            body="x",
            channel_ids=[fake_channel.pk, feed_channel.pk],
            at="queue",
            now=now,
        )
        for i in range(2)
    ]
    due = [{d.channel.name: d.due_at for d in p.deliveries.all()} for p in posts]
    assert due[0] == {
        "Fake": datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
        "Blog feed": datetime(2027, 1, 4, 17, 0, tzinfo=UTC),
    }
    assert due[1]["Fake"] == datetime(2027, 1, 12, 8, 0, tzinfo=UTC)
    assert posts[0].scheduled_at == datetime(2027, 1, 4, 17, 0, tzinfo=UTC)
    week = week_ahead([fake_channel, feed_channel], now=now)
    assert [(s.channel.name, s.delivery.post.title if s.delivery else None) for s in week] == [
        ("Blog feed", "P0"),
        ("Fake", "P0"),
    ]  # P1's slots (11 and 12 January) are more than seven days ahead


def test_queue_without_slots_is_a_clear_error(workspace, fake_channel):
    with pytest.raises(ValidationError, match="no free queue slot"):
        next_free_slot(fake_channel, after=datetime(2027, 1, 1, tzinfo=UTC))


def test_bad_slot_input(workspace, fake_channel):
    with pytest.raises(ValidationError, match="unknown day"):
        add_slot(channel=fake_channel, weekday="someday", at="09:00")
    with pytest.raises(ValidationError, match="not a time"):
        add_slot(channel=fake_channel, weekday="mon", at="25:99")


def test_week_ahead_on_the_page(login_as, berlin, fake_channel):
    client = login_as("editor")
    response = client.post(
        "/w/acme/publish/slots/", {"channel": fake_channel.pk, "weekday": 2, "time": "09:30"}
    )
    assert response.status_code == 302
    page = client.get("/w/acme/publish/").content.decode()
    assert "The week ahead" in page and "09:30" in page and "free" in page


def test_share_next_takes_the_first_slot_and_moves_the_queue_down(berlin, fake_channel):
    now = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)  # Monday
    add_slot(channel=fake_channel, weekday="tue", at="09:00")
    add_slot(channel=fake_channel, weekday="thu", at="09:00")

    def post(title, at):  # type: ignore[no-untyped-def]
        return compose_post(
            workspace=berlin,
            author=None,
            title=title,
            body="x",
            channel_ids=[fake_channel.pk],
            at=at,
            now=now,
        )

    post("A", "queue")
    post("B", "queue")
    post("N", "next")
    due = {d.post.title: d.due_at for d in fake_channel.deliveries.select_related("post")}
    assert due == {
        "N": datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
        "A": datetime(2027, 1, 7, 8, 0, tzinfo=UTC),
        "B": datetime(2027, 1, 12, 8, 0, tzinfo=UTC),
    }
