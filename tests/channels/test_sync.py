"""Polling a channel: cursor after commit, back-off, reconnect, one poller at a time.

These use the shipped ``FakeChannel`` (an in-memory platform that fails on
demand); the platform modules test the same paths against real peers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from rapport.channels import sync, tasks
from rapport.channels.builtin.fake import FakePlatform
from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.records import AuthorRecord, ItemRecord, SignalRecord, SkippedRecord
from rapport.channels.services import add_channel
from rapport.errors import ChannelAuthError, RateLimited, TemporaryChannelError
from rapport.inbox.models import Item, Signal
from tests.publish.fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BOB = AuthorRecord(platform="fake", key="bob", display_name="Bob")


@pytest.fixture(autouse=True)
def _fresh_backoffs() -> None:
    settings.HUEY.storage.flush_results()  # back-offs live in huey's key/value store


def comment(n: int, **kw: Any) -> ItemRecord:
    return ItemRecord(source_id=f"c{n}", created_at=WHEN, author=BOB, text=f"Question {n}?", **kw)


def fake(workspace: Any, name: str = "Fake") -> tuple[Channel, FakePlatform]:
    channel = add_channel(
        workspace=workspace, kind="fake", name=name, config={"platform": name}, secrets={}
    )
    return channel, FakePlatform.get(name)


def test_ingests_then_saves_the_cursor_and_adds_nothing_twice(workspace):
    channel, platform = fake(workspace)
    platform.inbound += [
        comment(1),
        comment(2, parent_source_id="c1"),
        SignalRecord(source_id="l1", kind="like", created_at=WHEN, author=BOB),
        SkippedRecord(source_id="x", reason="status without content"),
    ]
    summary = sync.sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.items_created, summary.signals_created) == ("ok", 2, 1)
    assert summary.skipped == {"status without content": 1}
    channel.refresh_from_db()
    assert channel.cursor == "4" and channel.last_synced_at is not None
    assert Item.objects.get(source_id="c2").parent == Item.objects.get(source_id="c1")
    assert Signal.objects.count() == 1

    again = sync.sync_channel(channel_id=channel.pk)
    assert (again.outcome, again.fetched, again.items_created) == ("ok", 0, 0)
    assert Item.objects.count() == 2


def test_a_crash_during_ingest_keeps_the_cursor_and_writes_nothing(workspace, monkeypatch):
    channel, platform = fake(workspace)
    platform.inbound += [comment(1), comment(2)]
    import rapport.inbox.ingest as ingest

    real = ingest.ingest_records

    def dies_after_writing(**kwargs: Any) -> Any:
        real(**kwargs)
        raise ConnectionError("database connection dropped")

    monkeypatch.setattr(ingest, "ingest_records", dies_after_writing)
    with pytest.raises(ConnectionError):
        sync.sync_channel(channel_id=channel.pk)
    channel.refresh_from_db()
    assert channel.cursor == "" and Item.objects.count() == 0

    monkeypatch.setattr(ingest, "ingest_records", real)
    assert sync.sync_channel(channel_id=channel.pk).items_created == 2  # resumes, loses nothing


def test_rate_limit_keeps_the_cursor_and_backs_off(workspace):
    channel, platform = fake(workspace)
    platform.inbound.append(comment(1))
    platform.fail_next(RateLimited("slow down", retry_after=120))
    summary = sync.sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.retry_after) == ("rate_limited", 120)
    channel.refresh_from_db()
    assert channel.cursor == "" and Item.objects.count() == 0
    channel.last_synced_at = None
    assert not sync.is_due(channel)  # the back-off holds even a never-synced channel
    assert sync.is_due(channel, now=datetime.now(UTC).timestamp() + 121)


def test_timeouts_back_off_exponentially_then_resume_from_the_cursor(workspace):
    channel, platform = fake(workspace)
    platform.inbound.append(comment(1))
    platform.fail_next(TemporaryChannelError("timed out"), TemporaryChannelError("timed out"))
    first = sync.sync_channel(channel_id=channel.pk)
    second = sync.sync_channel(channel_id=channel.pk)
    assert (first.outcome, first.retry_after, second.retry_after) == ("failed", 60, 120)
    assert sync.sync_channel(channel_id=channel.pk).items_created == 1
    assert sync.backoff_until(channel.pk) == (0.0, 0)  # success clears the back-off


def test_revoked_token_needs_reconnect_and_other_channels_keep_polling(workspace):
    broken, broken_platform = fake(workspace, "Broken")
    healthy, healthy_platform = fake(workspace, "Healthy")
    broken_platform.fail_next(ChannelAuthError("token revoked"))
    healthy_platform.inbound.append(comment(1))

    tasks.poll_channels()  # immediate mode: each enqueued sync runs inline

    broken.refresh_from_db()
    assert broken.status == ChannelStatus.NEEDS_RECONNECT
    assert broken.status_message == (
        f"token revoked — reconnect Fake (tests) (Broken) at "
        f"/w/{workspace.slug}/channels/{broken.pk}/reconnect/"
    )
    assert Item.objects.filter(channel=healthy).count() == 1
    assert tasks.due_channel_ids() == []  # polled just now; the broken one is out


def test_only_due_channels_are_polled(workspace):
    channel, _ = fake(workspace)
    channel.config = {"platform": "Fake", "poll_interval": 600}
    channel.last_synced_at = timezone.now() - timedelta(seconds=300)
    channel.save()
    assert tasks.due_channel_ids() == []
    later = timezone.now().timestamp() + 301
    assert tasks.due_channel_ids(now=later) == [channel.pk]
    assert sync.sync_channel(channel_id=channel.pk, only_if_due=True).outcome == "skipped"


def test_two_workers_cannot_claim_one_channel(workspace):
    channel, _ = fake(workspace)
    stale = Channel.objects.get(pk=channel.pk)  # what the second worker read
    assert sync._claim(channel)
    assert not sync._claim(stale)


def test_new_items_are_triaged_after_commit(
    workspace, monkeypatch, django_capture_on_commit_callbacks
):
    channel, platform = fake(workspace)
    platform.inbound.append(comment(1))
    triaged: list[int] = []
    monkeypatch.setattr(sync, "_triage", triaged.append)
    with django_capture_on_commit_callbacks(execute=True):
        sync.sync_channel(channel_id=channel.pk)
        assert triaged == []  # not before the rows are committed
    assert triaged == [workspace.pk]


def test_cli_sync_polls_a_workspace_and_prints_a_summary(workspace):
    from click.testing import CliRunner

    from rapport.cli import build_cli

    channel, platform = fake(workspace)
    platform.inbound += [comment(1), SkippedRecord(source_id="x", reason="no text")]
    _, broken_platform = fake(workspace, "Broken")
    broken_platform.fail_next(ChannelAuthError("token revoked"))
    result = CliRunner().invoke(build_cli(), ["channels", "sync", "--workspace", "acme"])
    assert result.exit_code == 1  # one channel needs the owner
    assert f"{channel.pk}\tFake\tok\t1 new item(s)" in result.output
    assert "skipped 1: no text" in result.output
    assert "token revoked — reconnect" in result.output
    assert "2 channel(s) polled, 1 new item(s)." in result.output

    one = CliRunner().invoke(build_cli(), ["channels", "sync", str(channel.pk)])
    assert one.exit_code == 0 and "0 new item(s)" in one.output
    assert CliRunner().invoke(build_cli(), ["channels", "sync"]).exit_code == 2


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_backoffs_live_in_the_shared_huey_store(backend, tmp_path, monkeypatch, request):
    """Every worker, on any machine, sees the same back-off: SQLite file or Redis."""
    from huey import RedisHuey, SqliteHuey

    if backend == "sqlite":
        store = SqliteHuey("rapport-test", filename=str(tmp_path / "huey.sqlite3"))
    else:
        url = request.getfixturevalue("redis_url")
        store = RedisHuey("rapport-test-backoff", url=url)
    monkeypatch.setattr(sync, "_huey", lambda: store)
    sync._set_backoff(41, 90, 2)
    until, failures = sync.backoff_until(41)
    assert failures == 2 and until == pytest.approx(datetime.now(UTC).timestamp() + 90, abs=5)
    assert sync.backoff_until(41)[1] == 2  # reading does not consume it
    sync._clear_backoff(41)
    assert sync.backoff_until(41) == (0.0, 0)
