"""Background work for the inbox: send a desk reply through the item's channel.

Enqueued by ``services.reply`` with ``transaction.on_commit``; takes an id and
does nothing for a reply that was already sent, because every queue delivers at
least once.
"""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_task

from rapport.channels.records import ReplyTarget
from rapport.errors import ChannelAuthError, ChannelError, RateLimited, TemporaryChannelError
from rapport.inbox.models import Item
from rapport.inbox.services import DeliveryState, record_delivery

log = logging.getLogger(__name__)


def _target(answered: Item) -> ReplyTarget:
    return ReplyTarget(
        source_id=answered.source_id,
        url=answered.url,
        author_key=answered.author.key if answered.author else "",
        post_source_id=answered.post.source_id if answered.post else "",
    )


@db_task(retries=3, retry_delay=120)
def send_reply(reply_id: int) -> None:
    from rapport.channels.services import mark_needs_reconnect, open_channel

    own = (
        Item.objects.select_related("channel", "parent__author", "parent__post")
        .filter(pk=reply_id)
        .first()
    )
    if own is None or own.parent is None or own.channel is None:
        return
    if own.signals.get("delivery", {}).get("status") == DeliveryState.SENT:
        return
    try:
        result = open_channel(own.channel).reply(_target(own.parent), own.text)
    except ChannelAuthError as exc:
        mark_needs_reconnect(channel_id=own.channel.pk, message=str(exc))
        record_delivery(reply_id=reply_id, status=DeliveryState.FAILED, error=str(exc))
        return
    except (RateLimited, TemporaryChannelError) as exc:
        record_delivery(reply_id=reply_id, status=DeliveryState.FAILED, error=f"{exc} (will retry)")
        raise
    except (ChannelError, NotImplementedError) as exc:
        record_delivery(reply_id=reply_id, status=DeliveryState.FAILED, error=str(exc))
        return
    log.info("reply %s sent through channel %s as %s", reply_id, own.channel.pk, result.remote_id)
    record_delivery(
        reply_id=reply_id,
        status=DeliveryState.SENT,
        remote_id=result.remote_id,
        remote_url=result.remote_url,
    )
