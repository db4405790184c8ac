"""Desk writes: done, relabel, acknowledge, reply (stored, and sent through a channel)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.builtin.fake import FakePlatform
from rapport.errors import ChannelAuthError, PermanentChannelError, ValidationError
from rapport.inbox import services
from rapport.inbox.models import Item
from rapport.triage.models import TriageDecision
from tests.people.factories import make_identity, make_item, make_post


@pytest.fixture
def platform() -> FakePlatform:
    """The fake platform behind the channel: what was replied, and failures to inject."""
    return FakePlatform.get(f"desk-{uuid.uuid4()}")


@pytest.fixture
def channel(workspace, platform):  # type: ignore[no-untyped-def]
    from rapport.channels.models import Channel

    return Channel.objects.create(
        workspace=workspace, kind="fake", name="Social", config={"platform": platform.name}
    )


def test_reply_to_an_archive_item_is_stored_as_an_own_item_and_not_sent(workspace, owner):
    post = make_post(workspace)
    root = make_item(workspace, "root", post=post)
    item = make_item(
        workspace, "Is it vegan?", parent=root, root=root, post=post, age=timedelta(hours=3)
    )
    outcome = services.reply(item=item, user=owner, text="  Yes, fully vegan.  ")
    own = outcome.reply
    assert outcome.will_send is False
    assert own.is_own and own.parent_id == item.pk and own.root_id == root.pk
    assert own.source == item.source and own.source_id.startswith("rapport-reply:")
    assert own.post_id == post.pk and own.text == "Yes, fully vegan."
    assert own.signals["delivery"]["status"] == "not_sent"
    item.refresh_from_db()
    assert item.state == "answered"
    assert item.answered_at is not None and 3 * 3600 <= item.response_seconds < 3 * 3600 + 60


def test_second_reply_keeps_the_first_response_time(workspace, owner):
    item = make_item(workspace, age=timedelta(hours=1))
    services.reply(item=item, user=owner, text="first")
    item.refresh_from_db()
    first = (item.answered_at, item.response_seconds)
    services.reply(item=item, user=owner, text="second")
    item.refresh_from_db()
    assert (item.answered_at, item.response_seconds) == first


def test_reply_html_is_escaped_text(workspace, owner):
    item = make_item(workspace)
    own = services.reply(item=item, user=owner, text="<script>x()</script>\nbye").reply
    assert "<script>" not in own.html and "&lt;script&gt;" in own.html


@pytest.mark.parametrize("text", ["", "   ", "x" * (services.MAX_REPLY_CHARS + 1)])
def test_empty_or_oversized_replies_are_refused(workspace, owner, text):
    item = make_item(workspace)
    with pytest.raises(ValidationError):
        services.reply(item=item, user=owner, text=text)
    assert not Item.objects.filter(is_own=True).exists()


def test_reply_goes_out_through_the_channel_after_commit_and_records_the_remote_id(
    workspace, owner, channel, platform, django_capture_on_commit_callbacks
):
    ana = make_identity(workspace, "Ana", platform="mastodon")
    item = make_item(
        workspace, "Open Sunday?", channel=channel, source=channel.source_key, author=ana
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        own = services.reply(item=item, user=owner, text="From 9 to 1!").reply
    assert platform.replies == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    target, text = platform.replies[0]
    assert text == "From 9 to 1!"
    assert target.source_id == item.source_id and target.author_key == ana.key
    own.refresh_from_db()
    assert own.source_id == "reply-1"
    assert own.signals["delivery"]["status"] == "sent"


def test_a_sent_reply_is_not_sent_twice(
    workspace, owner, channel, platform, django_capture_on_commit_callbacks
):
    from rapport.inbox.tasks import send_reply

    item = make_item(workspace, channel=channel, source=channel.source_key)
    with django_capture_on_commit_callbacks(execute=True):
        own = services.reply(item=item, user=owner, text="hello").reply
    send_reply(own.pk)  # the queue delivered it again
    assert len(platform.replies) == 1


def test_a_refused_reply_records_the_error(
    workspace, owner, channel, platform, django_capture_on_commit_callbacks
):
    platform.fail_next(PermanentChannelError("the post was deleted"))
    item = make_item(workspace, channel=channel, source=channel.source_key)
    with django_capture_on_commit_callbacks(execute=True):
        own = services.reply(item=item, user=owner, text="hello").reply
    own.refresh_from_db()
    assert own.signals["delivery"] == {
        **own.signals["delivery"],
        "status": "failed",
        "error": "the post was deleted",
    }
    item.refresh_from_db()
    assert item.state == "answered"  # the owner did answer; the page shows it was not sent


def test_expired_credentials_mark_the_channel_needs_reconnect(
    workspace, owner, channel, platform, django_capture_on_commit_callbacks
):
    platform.fail_next(ChannelAuthError("token revoked: reconnect Social"))
    item = make_item(workspace, channel=channel, source=channel.source_key)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(item=item, user=owner, text="hello")
    channel.refresh_from_db()
    assert channel.status == "needs_reconnect"


def test_mark_done_keeps_the_response_time(workspace, owner):
    item = make_item(workspace)
    services.reply(item=item, user=owner, text="hi")
    item.refresh_from_db()
    services.mark_done(item=item, user=owner)
    item.refresh_from_db()
    assert item.state == "done" and item.response_seconds is not None


def test_relabel_stores_an_owner_decision_mirrored_on_the_item(workspace, owner):
    item = make_item(workspace, label="spam")
    services.relabel(item=item, label="needs_reply", user=owner)
    item.refresh_from_db()
    assert item.label == "needs_reply"
    decision = TriageDecision.objects.get(item=item)
    assert decision.source == "owner" and decision.decided_by == owner


def test_relabel_refuses_an_unknown_label(workspace, owner):
    with pytest.raises(ValidationError, match="unknown label"):
        services.relabel(item=make_item(workspace), label="urgent", user=owner)


def test_acknowledge_only_touches_open_appreciation_seen_by_the_owner(workspace, owner):
    thanks = [make_item(workspace, "thanks", label="appreciation") for _ in range(3)]
    question = make_item(workspace)
    own = make_item(workspace, "thanks from me", label="appreciation", is_own=True)
    count = services.acknowledge_appreciation(
        workspace=workspace, user=owner, seen_at=timezone.now()
    )
    assert count == 3
    assert {i.state for i in Item.objects.filter(pk__in=[t.pk for t in thanks])} == {"done"}
    question.refresh_from_db()
    own.refresh_from_db()
    assert question.state == "open" and own.state == "open"


def test_a_temporary_failure_is_recorded_and_retried_by_the_queue(
    workspace, owner, channel, platform, django_capture_on_commit_callbacks
):
    from rapport.errors import TemporaryChannelError
    from rapport.inbox.tasks import send_reply

    platform.fail_next(TemporaryChannelError("platform timed out"))
    item = make_item(workspace, channel=channel, source=channel.source_key)
    with django_capture_on_commit_callbacks(execute=True):
        own = services.reply(item=item, user=owner, text="hello").reply
    own.refresh_from_db()
    assert own.signals["delivery"]["status"] == "failed"
    assert "will retry" in own.signals["delivery"]["error"]
    send_reply(own.pk)  # the retry
    own.refresh_from_db()
    assert own.signals["delivery"]["status"] == "sent" and len(platform.replies) == 1
