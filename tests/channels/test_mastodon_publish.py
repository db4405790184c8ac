"""Publishing to Mastodon: against mastodon-mock, and recorded payloads for the error mapping.

``mastodon-mock`` (PyPI) is a STATEFUL MOCK of the Mastodon REST API, not a
real Mastodon server: it stores statuses, threads them by ``in_reply_to_id``
and de-duplicates ``POST /api/v1/statuses`` on ``Idempotency-Key`` like real
Mastodon (which keeps a key for one hour; the mock keeps it for its life). Where
real servers answer differently (h-card HTML, shortened links, ISO 8601
``X-RateLimit-Reset``, Mastodon's 401/422 bodies) the answers are replayed from
``tests/fixtures/mastodon/publish`` over a loopback HTTP server.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests

from rapport.channels.platforms import mastodon_publish
from rapport.channels.platforms.mastodon import MastodonChannel
from rapport.channels.records import OutboundPost
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
)
from tests.peers.http import Answer, Replay, fixture

KEY = "5f0c8a9e-0000-4000-8000-00000000aaaa"


def outbound(text: str = "Rye is back on Sundays", *, key: str = KEY, parts=()) -> OutboundPost:
    return OutboundPost(
        delivery_id=1, idempotency_key=key, title="", text=text, html="", parts=tuple(parts)
    )


def plugin(base_url: str, token: str = "alice_token", **config: Any) -> MastodonChannel:
    return MastodonChannel(
        config={"base_url": base_url, **config}, secrets={"access_token": token}, channel_id=3
    )


def own_statuses(server: Any) -> list[Any]:
    alice = server.client("alice")
    return list(alice.account_statuses(alice.me()["id"], limit=40))


def lose_answers_to(channel: MastodonChannel, method: str, path: str) -> None:
    """The request reaches the server and is done; its answer is dropped on the way back."""

    def drop(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        if request.method == method and request.path_url.split("?")[0] == path:
            raise requests.ConnectionError("connection reset while reading the answer")

    channel.api.session.hooks["response"].insert(0, drop)


def fault(server: Any, **rule: Any) -> None:
    httpx.post(f"{server.base_url}/api/v1/_mock/faults", json=rule).raise_for_status()


# --- against mastodon-mock (a stateful mock, see above) ------------------------------------


def test_publish_posts_once_and_a_retry_with_the_same_key_posts_nothing(mastodon_mock_server):
    channel = plugin(mastodon_mock_server.base_url)
    first = channel.publish(outbound())
    again = plugin(mastodon_mock_server.base_url).publish(outbound())  # a retry, new worker
    assert again.remote_id == first.remote_id and first.remote_url.endswith(first.remote_id)
    [status] = own_statuses(mastodon_mock_server)
    assert str(status["id"]) == first.remote_id
    assert status["visibility"] == "public" and "Rye is back on Sundays" in status["content"]


def test_visibility_comes_from_the_config(mastodon_mock_server):
    channel = plugin(mastodon_mock_server.base_url, visibility="unlisted")
    result = channel.publish(outbound())
    status = mastodon_mock_server.client("alice").status(result.remote_id)
    assert status["visibility"] == "unlisted"


def test_a_thread_replies_part_to_part_with_a_key_per_part(mastodon_mock_server):
    parts = ("Our winter hours 1/3", "Mon-Fri 7-18 2/3", "Sat 8-12, closed Sundays 3/3")
    post = outbound(" ".join(parts), parts=parts)
    first = plugin(mastodon_mock_server.base_url).publish(post)
    again = plugin(mastodon_mock_server.base_url).publish(post)
    assert again.remote_id == first.remote_id  # the thread is found by its first status
    statuses = sorted(own_statuses(mastodon_mock_server), key=lambda s: s["id"])
    assert len(statuses) == 3 and str(statuses[0]["id"]) == first.remote_id
    assert statuses[0]["in_reply_to_id"] is None
    assert statuses[1]["in_reply_to_id"] == statuses[0]["id"]
    assert statuses[2]["in_reply_to_id"] == statuses[1]["id"]
    assert [mastodon_publish.part_key(post, i, 3) for i in range(3)] == [
        f"{KEY}:0",
        f"{KEY}:1",
        f"{KEY}:2",
    ]


def test_find_published_after_a_lost_answer(mastodon_mock_server):
    channel = plugin(mastodon_mock_server.base_url)
    lose_answers_to(channel, "POST", "/api/v1/statuses")
    with pytest.raises(TemporaryChannelError):
        channel.publish(outbound())  # the status exists; we never heard so
    [status] = own_statuses(mastodon_mock_server)
    found = plugin(mastodon_mock_server.base_url).find_published(outbound())
    assert found is not None and found.remote_id == str(status["id"])
    assert plugin(mastodon_mock_server.base_url).find_published(outbound("Never sent")) is None


def test_find_published_ignores_the_same_text_posted_before_the_post_was_composed(
    mastodon_mock_server,
):
    plugin(mastodon_mock_server.base_url).publish(outbound(key="an-older-delivery"))

    post = outbound()
    later = dataclasses.replace(post, not_before=datetime.now(UTC) + timedelta(minutes=10))
    assert plugin(mastodon_mock_server.base_url).find_published(later) is None
    earlier = dataclasses.replace(post, not_before=datetime.now(UTC) - timedelta(minutes=10))
    assert plugin(mastodon_mock_server.base_url).find_published(earlier) is not None


def test_a_thread_cut_short_is_not_published_and_resumes_after_the_parts_found(
    mastodon_mock_server,
):
    parts = ("Long news 1/2", "and the rest 2/2")
    post = outbound(" ".join(parts), parts=parts)
    channel = plugin(mastodon_mock_server.base_url)

    def then_the_server_fails(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        if request.method == "POST" and request.path_url == "/api/v1/statuses" and response.ok:
            fault(  # the next part never arrives
                mastodon_mock_server,
                match={"path": "/api/v1/statuses", "methods": ["POST"]},
                effect={"type": "status", "status": 503},
                count=1,
            )

    channel.api.session.hooks["response"].insert(0, then_the_server_fails)
    with pytest.raises(TemporaryChannelError):
        channel.publish(post)
    assert len(own_statuses(mastodon_mock_server)) == 1

    retry = plugin(mastodon_mock_server.base_url)
    assert retry.find_published(post) is None  # only part 1 is there
    result = retry.publish(post)  # continues after part 1
    statuses = sorted(own_statuses(mastodon_mock_server), key=lambda s: s["id"])
    assert [str(s["id"]) == result.remote_id for s in statuses] == [True, False]
    assert statuses[1]["in_reply_to_id"] == statuses[0]["id"]
    assert "and the rest 2/2" in statuses[1]["content"]
    assert plugin(mastodon_mock_server.base_url).find_published(post).remote_id == result.remote_id


def test_rate_limit_fault_on_posting_is_rate_limited(mastodon_mock_server):
    fault(
        mastodon_mock_server,
        match={"path": "/api/v1/statuses", "methods": ["POST"]},
        effect={"type": "ratelimit"},
        count=1,
    )
    with pytest.raises(RateLimited) as caught:
        plugin(mastodon_mock_server.base_url).publish(outbound())
    assert caught.value.retry_after == 300  # the mock's Retry-After
    assert own_statuses(mastodon_mock_server) == []


def test_server_error_and_timeout_are_temporary(mastodon_mock_server):
    fault(
        mastodon_mock_server,
        match={"path": "/api/v1/statuses", "methods": ["POST"]},
        effect={"type": "status", "status": 502},
        count=1,
    )
    with pytest.raises(TemporaryChannelError):
        plugin(mastodon_mock_server.base_url).publish(outbound())
    fault(
        mastodon_mock_server,
        match={"path": "/api/v1/statuses", "methods": ["POST"]},
        effect={"type": "latency", "delay_ms": 3000},
        count=1,
    )
    with pytest.raises(TemporaryChannelError):
        plugin(mastodon_mock_server.base_url, timeout=1).publish(outbound())


def test_revoked_token_asks_for_a_reconnect(mastodon_mock_server):
    with pytest.raises(ChannelAuthError, match="token revoked — reconnect"):
        plugin(mastodon_mock_server.base_url, token="revoked").publish(outbound())


def test_over_long_text_is_refused_with_mastodons_message(mastodon_mock_server):
    with pytest.raises(PermanentChannelError) as caught:
        plugin(mastodon_mock_server.base_url).publish(outbound("x" * 600))
    assert "refused it:" in str(caught.value)


# --- recorded answers of real Mastodon servers ----------------------------------------------


def replay_post(answer: Answer) -> Replay:
    server = Replay()
    server.route("POST", "/api/v1/statuses", lambda r: answer)
    return server


def test_real_401_is_token_revoked():
    with (
        replay_post(Answer(401, body=fixture("mastodon", "publish", "error_401.json"))) as server,
        pytest.raises(ChannelAuthError, match="token revoked — reconnect"),
    ):
        plugin(server.url).publish(outbound())


def test_real_422_carries_mastodons_message():
    body = fixture("mastodon", "publish", "error_422.json")
    with (
        replay_post(Answer(422, body=body)) as server,
        pytest.raises(PermanentChannelError, match="Text character limit of 500 exceeded"),
    ):
        plugin(server.url).publish(outbound())


@pytest.mark.parametrize("style", ["iso-8601-real-mastodon", "epoch-seconds"])
def test_429_waits_for_x_ratelimit_reset(style: str):
    at = datetime.now(UTC) + timedelta(seconds=600)
    reset = (
        at.isoformat().replace("+00:00", "Z")
        if style.startswith("iso")
        else str(int(at.timestamp()))
    )
    expected = 600
    headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    with (
        replay_post(Answer(429, headers, {"error": "Too many requests"})) as server,
        pytest.raises(RateLimited) as caught,
    ):
        plugin(server.url).publish(outbound())
    assert expected - 5 <= caught.value.retry_after <= expected


@pytest.mark.parametrize("status", [500, 503])
def test_real_5xx_is_temporary(status: int):
    with (
        replay_post(Answer(status, body="<html>We're sorry</html>")) as server,
        pytest.raises(TemporaryChannelError),
    ):
        plugin(server.url).publish(outbound())


def test_posting_sends_the_key_visibility_and_thread_reference():
    created = fixture("mastodon", "publish", "status_created.json")
    with replay_post(Answer(200, body=created)) as server:
        result = plugin(server.url).publish(outbound(parts=("one 1/2", "two 2/2")))
        posts = [r for r in server.requests if r.method == "POST"]
    assert result.remote_id == created["id"] and result.remote_url == created["url"]
    assert [r.headers["idempotency-key"] for r in posts] == [f"{KEY}:0", f"{KEY}:1"]
    first, second = (_form(r.body) for r in posts)
    assert first["visibility"] == "public" and "in_reply_to_id" not in first
    assert second["in_reply_to_id"] == created["id"]


def _form(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qs

    text = body.decode()
    if text.startswith("{"):
        return {k: str(v) for k, v in json.loads(text).items() if v is not None}
    return {k: v[-1] for k, v in parse_qs(text).items()}


def recorded_account(status: Any, source: Any) -> Replay:
    server = Replay()
    owner = fixture("mastodon", "verify_credentials.json")
    server.route("GET", "/api/v1/accounts/verify_credentials", lambda r: Answer(body=owner))
    server.route("GET", f"/api/v1/accounts/{owner['id']}/statuses", lambda r: Answer(body=[status]))
    server.route(
        "GET",
        f"/api/v1/statuses/{status['id']}/source",
        lambda r: Answer(body=source) if source else Answer(404, body={"error": "not found"}),
    )
    return server


def test_real_status_html_is_found_by_its_source_text():
    """Real HTML shortens links and mentions; the lookup confirms on ``/source``."""
    status = fixture("mastodon", "publish", "status_created.json")
    source = fixture("mastodon", "publish", "status_source.json")
    with recorded_account(status, source) as server:
        found = plugin(server.url).find_published(outbound(source["text"]))
        other = plugin(server.url).find_published(outbound(source["text"] + " Fr"))
    assert found is not None and found.remote_id == status["id"] and other is None


def test_a_server_without_source_is_trusted_on_the_rendered_text():
    status = fixture("mastodon", "publish", "status_created.json")
    text = fixture("mastodon", "publish", "status_source.json")["text"]
    with recorded_account(status, None) as server:
        found = plugin(server.url).find_published(outbound(text))
    assert found is not None and found.remote_id == status["id"]


def test_capabilities():
    assert MastodonChannel.can_publish and MastodonChannel.can_thread
    assert MastodonChannel.idempotent_publish and MastodonChannel.max_length == 500


def test_meets_the_publish_contract_against_mastodon_mock(mastodon_mock_server):
    """tests/channels/test_contract.py's publish contract, run against the stateful mock."""
    from tests.channels.test_contract import outbound as contract_post

    channel = plugin(mastodon_mock_server.base_url)
    first = channel.publish(contract_post())
    again = channel.publish(contract_post())
    assert first.remote_id and again.remote_id == first.remote_id
    found = channel.find_published(contract_post())
    assert found is not None and found.remote_id == first.remote_id
    # Mastodon keeps nothing of the key on the status: another delivery of the very same
    # text is told apart by time only (OutboundPost.not_before, see mastodon_publish)
    assert channel.find_published(contract_post("5f0c8a9e-0000-4000-8000-000000000002"))
    assert channel.find_published(replace(contract_post(), text="Bye")) is None
    assert len(own_statuses(mastodon_mock_server)) == 1


# --- through the delivery engine -------------------------------------------------------------


def compose(workspace: Any, base_url: str, body: str, **kwargs: Any) -> Any:
    from rapport.channels.services import add_channel
    from rapport.publish.services import compose_post

    channel = add_channel(
        workspace=workspace,
        kind="mastodon",
        name="Mastodon",
        config={"base_url": base_url},
        secrets={"access_token": "alice_token"},
    )
    at = datetime.now(UTC) + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="",
        body=body,
        channel_ids=[channel.pk],
        at=at,
        **kwargs,
    )
    return post.deliveries.get(), at


@pytest.mark.django_db
def test_a_long_post_goes_out_as_one_thread_through_the_engine(workspace, mastodon_mock_server):
    from rapport.publish.engine import run_delivery

    body = " ".join(f"Sentence number {i} about our bread." for i in range(30))  # > 500 chars
    delivery, at = compose(workspace, mastodon_mock_server.base_url, body)
    assert len(delivery.parts) == 3
    assert run_delivery(delivery.pk, now=at) == "sent"
    assert run_delivery(delivery.pk, now=at) is None
    delivery.refresh_from_db()
    statuses = sorted(own_statuses(mastodon_mock_server), key=lambda s: s["id"])
    assert len(statuses) == 3 and str(statuses[0]["id"]) == delivery.remote_id
    assert [s["in_reply_to_id"] for s in statuses[1:]] == [s["id"] for s in statuses[:2]]


@pytest.mark.django_db
def test_a_lost_answer_is_unconfirmed_then_reconciled_not_resent(
    workspace, mastodon_mock_server, monkeypatch
):
    from rapport.publish.engine import run_delivery

    real_publish = mastodon_publish.publish

    def answer_lost(channel: Any, post: Any) -> Any:
        real_publish(channel, post)  # the status is posted ...
        raise requests.ConnectionError("... and the connection drops before the answer")

    delivery, at = compose(workspace, mastodon_mock_server.base_url, "Rye on Sunday")
    monkeypatch.setattr(mastodon_publish, "publish", answer_lost)
    assert run_delivery(delivery.pk, now=at) == "unconfirmed"
    monkeypatch.setattr(mastodon_publish, "publish", real_publish)
    delivery.refresh_from_db()
    assert run_delivery(delivery.pk, now=delivery.due_at) == "sent"  # found, not sent again
    delivery.refresh_from_db()
    [status] = own_statuses(mastodon_mock_server)
    assert delivery.remote_id == str(status["id"])


# --- images (mastodon-mock implements POST /api/v2/media and stores the bytes) ----------------


def _attachment_bytes(url: str) -> bytes:
    return httpx.get(url, timeout=10).content


def test_images_are_uploaded_with_their_alt_text_and_attached_to_the_status(mastodon_mock_server):
    """mastodon-mock's ``POST /api/v2/media`` stores the file and its ``description`` (read in
    its source: routers/media.py); it answers 200 at once, where real Mastodon may answer 202
    and process the file later, which ``synchronous=True`` waits out."""
    from tests.publish.images import jpeg, media_item, png

    loaf, shop = png(60, 40), jpeg(80, 60)
    post = dataclasses.replace(
        outbound(),
        media=(media_item("loaf.png", loaf, "A rye loaf"), media_item("shop.jpg", shop, "")),
    )
    first = plugin(mastodon_mock_server.base_url).publish(post)
    again = plugin(mastodon_mock_server.base_url).publish(post)  # a retry: the key holds
    assert again.remote_id == first.remote_id
    [status] = own_statuses(mastodon_mock_server)
    attachments = status["media_attachments"]
    assert [a["description"] for a in attachments] == ["A rye loaf", None]
    assert [_attachment_bytes(a["url"]) for a in attachments] == [loaf, shop]


def test_in_a_thread_the_images_go_on_the_first_part(mastodon_mock_server):
    from tests.publish.images import media_item, png

    parts = ("Winter hours 1/2", "Closed Sundays 2/2")
    post = dataclasses.replace(
        outbound(" ".join(parts), parts=parts), media=(media_item("a.png", png(), "Our door"),)
    )
    plugin(mastodon_mock_server.base_url).publish(post)
    statuses = sorted(own_statuses(mastodon_mock_server), key=lambda s: s["id"])
    assert [len(s["media_attachments"]) for s in statuses] == [1, 0]
    assert statuses[0]["media_attachments"][0]["description"] == "Our door"


@pytest.mark.django_db
def test_with_images_a_lost_answer_is_reconciled_and_posted_once(
    workspace, mastodon_mock_server, monkeypatch, settings, tmp_path
):
    """The media is uploaded before the status exists; the retry must not post a second status."""
    from rapport.publish.engine import run_delivery
    from rapport.publish.media import check_image
    from tests.publish.images import png

    settings.MEDIA_ROOT = tmp_path
    real_publish = mastodon_publish.publish

    def answer_lost(channel: Any, post: Any) -> Any:
        real_publish(channel, post)
        raise requests.ConnectionError("the connection drops before the answer")

    image = check_image("loaf.png", png(), alt="Three loaves")
    delivery, at = compose(
        workspace, mastodon_mock_server.base_url, "Sunday loaves", images=[image]
    )
    monkeypatch.setattr(mastodon_publish, "publish", answer_lost)
    assert run_delivery(delivery.pk, now=at) == "unconfirmed"
    monkeypatch.setattr(mastodon_publish, "publish", real_publish)
    delivery.refresh_from_db()
    assert run_delivery(delivery.pk, now=delivery.due_at) == "sent"
    [status] = own_statuses(mastodon_mock_server)
    assert status["media_attachments"][0]["description"] == "Three loaves"


@pytest.mark.django_db
def test_the_instances_own_size_limit_is_checked_at_compose(workspace, mastodon_mock_server):
    """mastodon-mock reports image_size_limit 10,485,760 in /api/v2/instance; 11 MB is refused."""
    from rapport.errors import ValidationError
    from rapport.publish.media import check_image
    from tests.publish.images import png

    big = check_image("poster.png", png(1950, 1950, noise=True))
    assert 10_485_760 < big.size < 16 * 1024 * 1024
    with pytest.raises(
        ValidationError,
        match=r"'poster.png' is too large for Mastodon: .* at most 10,485,760 bytes",
    ):
        compose(workspace, mastodon_mock_server.base_url, "A poster", images=[big])


# --- recorded: an image the server processes in the background ----------------------------------


def _processing_server(polls_before_done: int) -> Replay:
    """Real Mastodon answers ``POST /api/v2/media`` with 202 and ``url: null`` for an image it
    still processes, and ``GET /api/v1/media/:id`` with 206 until it is done (mastodon-mock
    always answers 200 at once, so these are recorded real-shape payloads)."""
    processing = fixture("mastodon", "publish", "media_processing.json")
    processed = fixture("mastodon", "publish", "media_processed.json")
    server = replay_post(Answer(200, body=fixture("mastodon", "publish", "status_created.json")))
    polls = {"n": 0}

    def poll(request: Any) -> Answer:
        polls["n"] += 1
        return (
            Answer(206, body=processing)
            if polls["n"] <= polls_before_done
            else Answer(body=processed)
        )

    server.route("POST", "/api/v2/media", lambda r: Answer(202, body=processing))
    server.route("GET", f"/api/v1/media/{processing['id']}", poll)
    return server


def test_a_status_waits_until_its_image_is_processed(monkeypatch):
    from tests.publish.images import media_item, png

    monkeypatch.setattr(mastodon_publish, "PROCESSING_POLL", 0.01)
    post = dataclasses.replace(
        outbound(), media=(media_item("a.png", png(), "A rye loaf on a board"),)
    )
    with _processing_server(polls_before_done=2) as server:
        plugin(server.url).publish(post)
    upload = next(r for r in server.requests if r.path == "/api/v2/media")
    assert b'name="description"' in upload.body and b"A rye loaf on a board" in upload.body
    assert [r.method for r in server.requests if r.path.startswith("/api/v1/media/")] == ["GET"] * 3
    status = next(r for r in server.requests if r.path == "/api/v1/statuses")
    assert _form(status.body)["media_ids[]"] == "22348641"


def test_an_image_still_processing_after_the_wait_is_a_temporary_error(monkeypatch):
    from tests.publish.images import media_item, png

    monkeypatch.setattr(mastodon_publish, "PROCESSING_WAIT", 0.05)
    monkeypatch.setattr(mastodon_publish, "PROCESSING_POLL", 0.02)
    post = dataclasses.replace(outbound(), media=(media_item("a.png", png(), "x"),))
    with (
        _processing_server(polls_before_done=10_000) as server,
        pytest.raises(TemporaryChannelError, match=r"still processing image 'a\.png'"),
    ):
        plugin(server.url).publish(post)
    assert not any(r.path == "/api/v1/statuses" for r in server.requests)  # no status without it
