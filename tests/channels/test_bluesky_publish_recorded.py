"""Publishing to Bluesky on answers recorded from a real ``@atproto/dev-env`` PDS, and units.

The XRPC answers in ``tests/fixtures/bluesky/publish`` were recorded from the
live network (see its README) and are replayed by a loopback HTTP server to the
real ``atproto`` SDK, so the error mapping runs without Node;
``test_bluesky_publish.py`` runs the same paths against the live network.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from rapport.channels.platforms import bluesky_facets
from rapport.channels.platforms.bluesky import BlueskyChannel, post_rkey
from rapport.channels.platforms.bluesky_records import TID_ALPHABET
from rapport.channels.records import OutboundPost
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
)
from tests.peers.http import Answer, Replay, fixture

OWNER = "did:plc:56tbuybmizl34iqzze64ruwb"
KEY = "5f0c8a9e-0000-4000-8000-00000000dddd"
CREATE = "/xrpc/com.atproto.repo.createRecord"
GET = "/xrpc/com.atproto.repo.getRecord"
RESOLVE = "/xrpc/com.atproto.identity.resolveHandle"


def recorded(name: str) -> Answer:
    answer = fixture("bluesky", "publish", f"{name}.json")
    return Answer(answer["status"], {}, answer["body"])


def pds() -> Replay:
    server = Replay()
    session = fixture("bluesky", "create_session.json")
    session["didDoc"]["service"][0]["serviceEndpoint"] = server.url  # the SDK moves to it
    server.route("POST", "/xrpc/com.atproto.server.createSession", lambda r: Answer(body=session))
    server.route("GET", GET, lambda r: recorded("get_record_missing"))
    server.route("GET", RESOLVE, lambda r: recorded("resolve_handle_unknown"))
    return server


def plugin(server: Replay) -> BlueskyChannel:
    return BlueskyChannel(
        config={"handle": "bakery3.test", "service": server.url},
        secrets={"app_password": "abcd-efgh-ijkl-mnop"},
    )


def outbound(text: str = "Open on Sunday", parts: tuple[str, ...] = ()) -> OutboundPost:
    return OutboundPost(
        delivery_id=1, idempotency_key=KEY, title="", text=text, html="", parts=parts
    )


def created(request: Any) -> Answer:
    """The recorded createRecord answer, under the record key that was asked for."""
    rkey = json.loads(request.body)["rkey"]
    body = recorded("create_record").body
    return Answer(200, {}, {**body, "uri": f"at://{OWNER}/app.bsky.feed.post/{rkey}"})


def creates(server: Replay) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in server.requests if r.path == CREATE]


def test_a_post_is_created_under_its_deterministic_record_key():
    with pds() as server:
        server.route("POST", CREATE, created)
        result = plugin(server).publish(outbound())
    [sent] = creates(server)
    assert sent["rkey"] == post_rkey(KEY, 0) and sent["record"]["text"] == "Open on Sunday"
    assert result.remote_id == f"at://{OWNER}/app.bsky.feed.post/{post_rkey(KEY, 0)}"
    assert result.remote_url.startswith("https://bsky.app/profile/")


def test_already_exists_on_a_retry_is_success():
    """The PDS answers a bare 500 when the key exists; getRecord then finds the post."""
    with pds() as server:
        server.route("POST", CREATE, lambda r: recorded("create_record_again"))
        server.route("GET", GET, lambda r: recorded("get_record"))
        result = plugin(server).publish(outbound())
    assert result.remote_id == recorded("get_record").body["uri"]


def test_a_server_error_when_nothing_was_created_is_temporary():
    with pds() as server:
        server.route("POST", CREATE, lambda r: recorded("create_record_again"))
        with pytest.raises(TemporaryChannelError):
            plugin(server).publish(outbound())


def test_no_answer_in_time_is_temporary():
    def hangs(request: Any) -> Answer:
        time.sleep(5.5)  # the SDK's httpx client waits 5 s
        return created(request)

    with pds() as server:
        server.route("POST", CREATE, hangs)
        with pytest.raises(TemporaryChannelError):
            plugin(server).publish(outbound())


def test_an_invalid_record_is_permanent_with_the_pds_message():
    with pds() as server:
        server.route("POST", CREATE, lambda r: recorded("create_record_too_long"))
        with pytest.raises(PermanentChannelError, match="grapheme too big"):
            plugin(server).publish(outbound("x" * 400))


def test_rate_limit_waits_for_the_epoch_reset():
    reset = int(time.time()) + 900
    headers = {
        "RateLimit-Limit": "30",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": "30;w=300",
    }
    limited = Answer(429, headers, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})
    with pds() as server:
        server.route("POST", CREATE, lambda r: limited)
        server.route("GET", GET, lambda r: limited)
        with pytest.raises(RateLimited) as caught:
            plugin(server).publish(outbound())
    assert 880 <= caught.value.retry_after <= 900


def test_an_expired_session_needs_reconnect():
    expired = Answer(400, {}, {"error": "ExpiredToken", "message": "Token has expired"})
    with pds() as server:
        server.route("POST", CREATE, lambda r: expired)
        with pytest.raises(ChannelAuthError):
            plugin(server).publish(outbound())


def test_find_published_is_get_record_on_the_key():
    with pds() as server:
        assert plugin(server).find_published(outbound()) is None
        server.route("GET", GET, lambda r: recorded("get_record"))
        found = plugin(server).find_published(outbound())
        asked = [r.query["rkey"] for r in server.requests if r.path == GET]
    assert found is not None and found.remote_id == recorded("get_record").body["uri"]
    assert asked == [post_rkey(KEY, 0), post_rkey(KEY, 0)]


def test_find_published_wants_the_last_part_of_a_thread():
    parts = ("a 1/3", "b 2/3", "c 3/3")
    with pds() as server:
        server.route(
            "GET",
            GET,
            lambda r: (
                recorded("get_record")
                if r.query["rkey"] == post_rkey(KEY, 0)
                else recorded("get_record_missing")
            ),
        )
        assert plugin(server).find_published(outbound(parts=parts)) is None
        asked = [r.query["rkey"] for r in server.requests if r.path == GET]
    assert asked == [post_rkey(KEY, 2)]


def test_thread_parts_reply_to_root_and_parent():
    with pds() as server:
        server.route("POST", CREATE, created)
        plugin(server).publish(outbound(parts=("a 1/3", "b 2/3", "c 3/3")))
    first, second, third = creates(server)
    assert [c["rkey"] for c in (first, second, third)] == [post_rkey(KEY, i) for i in range(3)]
    root = f"at://{OWNER}/app.bsky.feed.post/{post_rkey(KEY, 0)}"
    assert "reply" not in first["record"]
    assert second["record"]["reply"]["root"]["uri"] == root
    assert second["record"]["reply"]["parent"]["uri"] == root
    assert third["record"]["reply"]["root"]["uri"] == root
    assert third["record"]["reply"]["parent"]["uri"].endswith(post_rkey(KEY, 1))


def test_facets_carry_byte_offsets_and_resolved_dids():
    with pds() as server:
        server.route("POST", CREATE, created)
        server.route(
            "GET",
            RESOLVE,
            lambda r: (
                recorded("resolve_handle")
                if r.query["handle"] == "ana.test"
                else recorded("resolve_handle_unknown")
            ),
        )
        text = "Merci @ana.test 🥖 et @nobody.test: https://shop.example/pain."
        plugin(server).publish(outbound(text))
    [sent] = creates(server)
    raw = text.encode()
    spans = [
        (raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"][0])
        for f in sent["record"]["facets"]
    ]
    assert spans == [
        ("@ana.test", {"$type": "app.bsky.richtext.facet#mention", "did": OWNER}),
        (
            "https://shop.example/pain",
            {"$type": "app.bsky.richtext.facet#link", "uri": "https://shop.example/pain"},
        ),
    ]


# --- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [
        ("abc", 3),
        ("e\u0301", 1),  # e + combining acute
        ("👍🏽", 1),  # skin tone modifier
        ("🇫🇷🇩🇪", 2),  # two flags
        ("👩‍👩‍👧‍👦", 1),  # a ZWJ family
        ("한국어", 3),
    ],
)
def test_length_is_counted_in_graphemes(text: str, graphemes: int):
    assert BlueskyChannel.text_length(text) == graphemes


def test_a_post_of_300_emoji_fits_though_it_has_more_code_points():
    text = "👍🏽" * 300
    assert len(text) == 600 and BlueskyChannel.text_length(text) == BlueskyChannel.max_length


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see https://a.example/x.", ["https://a.example/x"]),
        ("(https://a.example/wiki/Rye_(bread))", ["https://a.example/wiki/Rye_(bread)"]),
        ("(see https://a.example/x)", ["https://a.example/x"]),
        ("nohttps://a.example", []),
        ("mail me@shop.example", []),
    ],
)
def test_links_are_trimmed_like_bluesky_does(text: str, links: list[str]):
    found = bluesky_facets.facets(text, lambda h: None)
    assert [f.value for f in found if f.kind == bluesky_facets.LINK] == links


def test_an_email_address_is_not_a_mention():
    assert bluesky_facets.facets("write to me@shop.example", lambda h: "did:plc:x") == []


def test_record_keys_are_deterministic_valid_tids_per_part():
    keys = [post_rkey(KEY, i) for i in range(3)]
    assert keys == [post_rkey(KEY, i) for i in range(3)] and len(set(keys)) == 3
    for key in keys:
        assert len(key) == 13 and set(key) <= set(TID_ALPHABET) and key[0] in "234567abcdefghij"
