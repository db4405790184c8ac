"""E-mail newsletter (kind ``newsletter``): each post as HTML mail to the channel's list.

SMTP has no idempotency key, so exactly-once is kept per recipient: each
accepted message is recorded at once (``rapport.publish.newsletter``), and a
retry or reconciliation sends only to those still pending. Every message
carries an unsubscribe link and RFC 8058 one-click ``List-Unsubscribe``
headers, and a ``Message-ID`` derived from the delivery's idempotency key.
The post's images are ``<img>`` tags (with the channel's alt text) in the HTML,
served from the desk's public ``/m/`` URLs, and listed in the plain-text part.
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.html import escape

from rapport.channels.base import Channel
from rapport.channels.records import MediaLimits, OutboundPost, PublishResult
from rapport.errors import ChannelAuthError, TemporaryChannelError, ValidationError
from rapport.hookspecs import hookimpl


class NewsletterChannel(Channel):
    kind = "newsletter"
    label = "E-mail newsletter"
    max_length = None
    can_publish = True
    needs_credentials = False
    idempotent_publish = True
    # Images are linked from the desk (``/m/...``), not attached: every reader's mail
    # client downloads them on opening, often over a phone's connection, so they are
    # kept to 10 of at most 2 MB each; alt text stands in where images are blocked.
    media_limits = MediaLimits(max_images=10, max_bytes=2_000_000, max_alt=1000)
    config_fields = ("from_email", "smtp_host", "smtp_port", "smtp_user", "smtp_tls")
    secret_fields = ("smtp_password",)

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        if "@" not in str(config.get("from_email", "")):
            raise ValidationError("a newsletter needs a from_email address", field="from_email")
        port = str(config.get("smtp_port", "") or "25")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValidationError("smtp_port must be a port number", field="smtp_port")

    def connection(self) -> Any:
        """SMTP from the channel's config; Django's configured backend when no host is set."""
        if not self.config.get("smtp_host"):
            return get_connection(fail_silently=False)
        return get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=str(self.config["smtp_host"]),
            port=int(self.config.get("smtp_port") or 25),
            username=str(self.config.get("smtp_user", "")) or None,
            password=str(self.secrets.get("smtp_password", "")) or None,
            use_tls=str(self.config.get("smtp_tls", "")).lower() in ("1", "true", "yes"),
            timeout=20,
            fail_silently=False,
        )

    def _message(self, post: OutboundPost, to: str, unsubscribe: str, sid: int) -> Any:
        images = "".join(f"\n\n[{m.alt or 'Image'}: {m.url}]" for m in post.media)
        footer_text = f"{images}\n\n--\nUnsubscribe: {unsubscribe}\n"
        footer_html = f'<hr><p><a href="{escape(unsubscribe)}">Unsubscribe</a></p>'
        message = EmailMultiAlternatives(
            subject=post.title or post.text.split("\n", 1)[0][:120],
            body=post.text + footer_text,
            from_email=str(self.config["from_email"]),
            to=[to],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Message-ID": f"<{post.idempotency_key}.{sid}@rapport>",
            },
        )
        message.attach_alternative(post.html + footer_html, "text/html")
        return message

    def publish(self, post: OutboundPost) -> PublishResult:
        from rapport.publish.newsletter import mark_sent, pending_recipients

        pending = pending_recipients(channel_id=self.channel_id or 0, delivery_id=post.delivery_id)
        try:
            with self.connection() as connection:
                for r in pending:
                    connection.send_messages(
                        [self._message(post, r.email, r.unsubscribe_url, r.subscriber_id)]
                    )
                    mark_sent(delivery_id=post.delivery_id, subscriber_id=r.subscriber_id)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelAuthError(
                f"the SMTP server refused the login ({exc.smtp_code}); update the password",
                channel_id=self.channel_id,
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryChannelError(f"SMTP: {exc}", channel_id=self.channel_id) from None
        return PublishResult(remote_id=f"newsletter:{post.idempotency_key}")

    def find_published(self, post: OutboundPost) -> PublishResult | None:
        from rapport.publish.newsletter import pending_recipients

        if pending_recipients(channel_id=self.channel_id or 0, delivery_id=post.delivery_id):
            return None
        return PublishResult(remote_id=f"newsletter:{post.idempotency_key}")


@hookimpl
def register_channels(register: Any) -> None:
    register(NewsletterChannel)
