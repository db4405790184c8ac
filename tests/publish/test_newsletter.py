"""The newsletter channel against a real SMTP server (aiosmtpd on 127.0.0.1, Maildir)."""

from __future__ import annotations

import mailbox
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from django.utils import timezone

from rapport.channels.services import add_channel
from rapport.errors import ValidationError
from rapport.publish.engine import run_delivery
from rapport.publish.models import DeliveryStatus, NewsletterSend
from rapport.publish.newsletter import subscribe
from rapport.publish.services import compose_post

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[int, mailbox.Maildir]]:
    maildir = tmp_path / "maildir"
    controller = Controller(Mailbox(str(maildir)), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mailbox.Maildir(str(maildir))
    controller.stop()


@pytest.fixture
def letter(workspace, smtp):  # type: ignore[no-untyped-def]
    port, _ = smtp
    channel = add_channel(
        workspace=workspace,
        kind="newsletter",
        name="Letter",
        config={
            "from_email": "news@bakery.example",
            "smtp_host": "127.0.0.1",
            "smtp_port": str(port),
        },
        secrets={},
    )
    for email in ("ana@example.com", "ben@example.com", "cy@example.com"):
        subscribe(channel=channel, email=email)
    return channel


def send(workspace, channel):  # type: ignore[no-untyped-def]
    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="Winter hours",
        body="We open at **nine**.",
        channel_ids=[channel.pk],
        at=at,
    )
    delivery = post.deliveries.get()
    return delivery, run_delivery(delivery.pk, now=at)


def test_each_subscriber_gets_one_mail_with_unsubscribe(workspace, letter, smtp, client):
    _, box = smtp
    _, status = send(workspace, letter)
    assert status == DeliveryStatus.SENT
    mails = list(box)
    assert sorted(m["To"] for m in mails) == [
        "ana@example.com",
        "ben@example.com",
        "cy@example.com",
    ]
    mail = next(m for m in mails if m["To"] == "ana@example.com")
    assert mail["Subject"] == "Winter hours"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = "".join(mail["List-Unsubscribe"].split()).strip("<>")
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(
        decode=True
    )
    assert b"<strong>nine</strong>" in html and unsubscribe.encode() in html
    path = unsubscribe.split("://", 1)[1].split("/", 1)[1]
    assert b"Unsubscribe" in client.get(f"/{path}").content  # GET only asks
    client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    _, status = send(workspace, letter)
    assert len(list(box)) == 5  # ana got no second mail


def test_retry_after_a_crash_sends_only_to_the_rest(workspace, letter, smtp):
    _, box = smtp
    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace, author=None, title="T", body="x", channel_ids=[letter.pk], at=at
    )
    delivery = post.deliveries.get()
    first = letter.subscribers.order_by("pk").first()
    NewsletterSend.objects.create(delivery=delivery, subscriber=first)  # sent before the crash
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.SENT
    assert first.email not in {m["To"] for m in box} and len(list(box)) == 2


def test_smtp_down_is_unconfirmed_then_reconciled(workspace, letter, smtp):
    from rapport.channels.models import Channel

    Channel.objects.filter(pk=letter.pk).update(
        config=letter.config | {"smtp_port": str(free_port())}
    )
    delivery, status = send(workspace, letter)
    assert status == DeliveryStatus.UNCONFIRMED
    Channel.objects.filter(pk=letter.pk).update(config=letter.config)
    delivery.refresh_from_db()
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert len(list(smtp[1])) == 3


def test_needs_a_from_address(workspace):
    with pytest.raises(ValidationError, match="from_email"):
        add_channel(workspace=workspace, kind="newsletter", name="L", config={}, secrets={})


def test_images_arrive_as_img_tags_with_the_newsletters_alt_text(
    workspace, letter, smtp, client, settings, tmp_path
):
    """The mail read back from the SMTP server carries <img src=/m/... alt=...>; the URL serves it."""
    from rapport.publish.media import check_image
    from tests.publish.images import png

    settings.MEDIA_ROOT = tmp_path
    _, box = smtp
    data = png(40, 30)
    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="New loaves",
        body="Our **rye** is back.",
        channel_ids=[letter.pk],
        at=at,
        images=[check_image("rye.png", data, alt="A rye loaf")],
        alt_variants={letter.pk: {0: "A dark rye loaf, sliced & buttered"}},
    )
    assert run_delivery(post.deliveries.get().pk, now=at) == DeliveryStatus.SENT
    mail = next(m for m in box if m["To"] == "ana@example.com")
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    html = html.get_payload(decode=True).decode()
    image = post.images.get()
    src = f"{settings.BASE_URL}/m/{image.token}.png"
    assert f'<img src="{src}" alt="A dark rye loaf, sliced &amp; buttered"' in html
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert f"[A dark rye loaf, sliced & buttered: {src}]" in text.get_payload(decode=True).decode()
    served = client.get(src.removeprefix(settings.BASE_URL))
    assert served["Content-Type"] == "image/png" and b"".join(served.streaming_content) == data
