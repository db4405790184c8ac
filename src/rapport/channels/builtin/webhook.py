"""Generic webhook (kind ``webhook``): POST each delivery as signed JSON.

The receiver verifies ``X-Rapport-Signature: sha256=<hex>`` (HMAC-SHA256 of
the raw body with the channel's secret) and should de-duplicate on
``Idempotency-Key``: a delivery whose answer was lost is sent again with the
same key, never with a new one. Answers map onto the error tree: 429 →
RateLimited, 5xx/timeouts → TemporaryChannelError, 401/403 → ChannelAuthError,
other 4xx → PermanentChannelError.

With the optional ``lookup_url``, a lost answer is reconciled by asking the
receiver: ``GET lookup_url?key=<idempotency key>`` (signed over the key) answers
200 with ``{"id", "url"}`` when the post arrived, 404 when it did not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from django.utils import timezone

from rapport.channels.base import Channel
from rapport.channels.builtin.netguard import check_public_url
from rapport.channels.records import OutboundPost, PublishResult
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
    ValidationError,
)
from rapport.hookspecs import hookimpl

SIGNATURE_HEADER = "X-Rapport-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_after_seconds(value: str | None, default: float = 60.0) -> float:
    """``Retry-After`` is seconds or an HTTP date; anything else means ``default``."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return default


class WebhookChannel(Channel):
    kind = "webhook"
    label = "Webhook (JSON)"
    max_length = None
    can_fetch = False
    can_publish = True
    can_reply = False
    can_dm = False
    needs_credentials = True
    idempotent_publish = True
    config_fields = ("url", "lookup_url")
    secret_fields = ("secret",)

    @property
    def timeout(self) -> float:
        """Seconds to wait for an answer (config ``timeout``, default 10)."""
        try:
            return min(60.0, max(0.1, float(self.config.get("timeout", 10))))
        except (TypeError, ValueError):
            return 10.0

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        if not str(config.get("url", "")).strip():
            raise ValidationError("a webhook needs a url", field="url")
        check_public_url(str(config["url"]))
        if config.get("lookup_url"):
            check_public_url(str(config["lookup_url"]), field="lookup_url")
        if len(str(secrets.get("secret", ""))) < 16:
            raise ValidationError(
                "a webhook needs a signing secret of at least 16 characters", field="secret"
            )

    def publish(self, post: OutboundPost) -> PublishResult:
        try:
            url = check_public_url(str(self.config.get("url", "")))
        except ValidationError as exc:
            raise PermanentChannelError(str(exc), channel_id=self.channel_id) from None
        body = json.dumps(
            {
                "delivery_id": post.delivery_id,
                "idempotency_key": post.idempotency_key,
                "title": post.title,
                "text": post.text,
                "html": post.html,
                "url": post.url,
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": post.idempotency_key,
            SIGNATURE_HEADER: sign(str(self.secrets.get("secret", "")), body),
            "User-Agent": "Rapport-Webhook/1",
        }
        try:
            response = self.http.post(url, content=body, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException:
            raise TemporaryChannelError(
                f"no answer from {url} in time (the post may have arrived)",
                channel_id=self.channel_id,
            ) from None
        except httpx.HTTPError as exc:
            raise TemporaryChannelError(f"{url}: {exc}", channel_id=self.channel_id) from None
        return self._result(response, post)

    def find_published(self, post: OutboundPost) -> PublishResult | None:
        lookup = str(self.config.get("lookup_url", ""))
        if not lookup:
            return None  # re-sent with the same Idempotency-Key instead
        try:
            url = check_public_url(lookup, field="lookup_url")
            key = post.idempotency_key
            headers = {SIGNATURE_HEADER: sign(str(self.secrets.get("secret", "")), key.encode())}
            response = self.http.get(
                url, params={"key": key}, headers=headers, timeout=self.timeout
            )
        except ValidationError as exc:
            raise PermanentChannelError(str(exc), channel_id=self.channel_id) from None
        except httpx.HTTPError as exc:
            raise TemporaryChannelError(
                f"lookup failed: {exc}", channel_id=self.channel_id
            ) from None
        if response.status_code == 404:
            return None
        return self._result(response, post)

    def _result(self, response: httpx.Response, post: OutboundPost) -> PublishResult:
        status = response.status_code
        detail = f"{status} {response.reason_phrase}: {response.text[:300]}".strip()
        if status == 429:
            raise RateLimited(
                f"webhook rate limit ({detail})",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                channel_id=self.channel_id,
            )
        if status in (401, 403):
            raise ChannelAuthError(
                f"the webhook refused the signature ({detail}); check the secret and reconnect",
                channel_id=self.channel_id,
            )
        if status >= 500:
            raise TemporaryChannelError(f"webhook failed ({detail})", channel_id=self.channel_id)
        if status >= 400:
            raise PermanentChannelError(f"webhook refused ({detail})", channel_id=self.channel_id)
        try:
            data = response.json()
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        return PublishResult(
            remote_id=str(data.get("id") or post.idempotency_key),
            remote_url=str(data.get("url") or ""),
        )


@hookimpl
def register_channels(register: Any) -> None:
    register(WebhookChannel)
