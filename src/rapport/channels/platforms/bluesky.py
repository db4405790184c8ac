"""Bluesky (AT Protocol, through the ``atproto`` SDK): mentions, replies and quotes in.

``config``: ``handle`` and ``service`` (the PDS, default ``https://bsky.social``);
``secrets``: ``app_password`` and ``session`` (the SDK's session string).

Sessions rotate: every refresh returns a new refresh token and retires the
old one, so each new session is saved at once through ``save_secrets`` (set
by ``channels.services.open_channel``), or the next poll would find its token
dead and ask for a reconnect. A stored session that the server refuses falls
back to the app password before anyone is bothered.

Notifications are read newest first as plain JSON (not the SDK's models, so
one odd notification is skipped instead of failing the page) until the ones
already seen; the cursor is the newest ``indexedAt`` seen. Ingest is
idempotent, so notifications at exactly that instant are read again safely.

Publishing, exactly once without an idempotency header: each post (each part
of a thread) is created with ``com.atproto.repo.createRecord`` under a record
key derived from the delivery's idempotency key and the part's index (a valid
TID, :func:`post_rkey`). A retry after a lost answer asks to create the same
key again; the PDS refuses (the key exists: a bare HTTP 500 from the PDS of
dev-env 0.6.7), and ``getRecord`` on that key confirms the post is there, so
it counts as sent; when it is not there, the error stands. ``find_published`` is that
``getRecord``. Parts of a thread reply with proper refs (root = first part,
parent = the part before); a thread cut short resumes where it stopped.
Links and @mentions become facets (:mod:`bluesky_facets`, UTF-8 byte
offsets; handles resolved to DIDs); length is counted in graphemes. Images
are uploaded with ``com.atproto.repo.uploadBlob`` and embedded with their alt
text (``app.bsky.embed.images``); a post with a link and no images carries the
link card read at compose time (``app.bsky.embed.external``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from atproto import Client, SessionEvent, models
from atproto_client import exceptions as at

from rapport.channels import ratelimit
from rapport.channels.base import Channel
from rapport.channels.platforms import bluesky_facets, bluesky_records
from rapport.channels.platforms._http import error_for
from rapport.channels.records import (
    FetchResult,
    MediaItem,
    MediaLimits,
    OutboundPost,
    PublishResult,
    Record,
    ReplyTarget,
    SkippedRecord,
)
from rapport.errors import (
    ChannelAuthError,
    ChannelError,
    PermanentChannelError,
    TemporaryChannelError,
    ValidationError,
)
from rapport.hookspecs import hookimpl

AUTH_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"}
PAGE = 100
POSTS = "app.bsky.feed.post"


# app.bsky.embed.images: at most 4 images, each blob at most 1,000,000 bytes, image/*;
# alt text has no length limit in the lexicon (the app stops at 2,000 graphemes).
MEDIA_LIMITS = MediaLimits(max_images=4, max_bytes=1_000_000, max_alt=None)


def post_rkey(idempotency_key: str, index: int) -> str:
    """The record key of part ``index`` of a delivery: the same on every retry, a valid TID."""
    return bluesky_records.reply_rkey(f"publish:{idempotency_key}:{index}", "")


class BlueskyChannel(Channel):
    kind = "bluesky"
    label = "Bluesky"
    max_length = 300  # graphemes: see text_length
    can_fetch = True
    can_publish = True
    can_reply = True
    can_thread = True
    idempotent_publish = True  # deterministic record keys: a retry cannot post twice
    text_length = staticmethod(bluesky_facets.grapheme_length)
    needs_credentials = True
    config_fields = ("handle", "service")
    secret_fields = ("app_password", "session")
    max_pages = 10
    media_limits = MEDIA_LIMITS  # checked at compose time
    link_cards = True  # a link and no images: app.bsky.embed.external (publish.cards)
    save_secrets: Callable[..., None] | None = None
    retry_after_hint: float | None = None

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        if not str(config.get("handle", "")).strip():
            raise ValidationError("the Bluesky handle is needed", field="handle")
        if not (secrets.get("app_password") or secrets.get("session")):
            raise ValidationError("an app password is needed", field="app_password")

    @property
    def service(self) -> str:
        return str(self.config.get("service") or "https://bsky.social").rstrip("/")

    def _session_changed(self, event: SessionEvent, session: Any) -> None:
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            self.secrets["session"] = session.encode()
            if self.save_secrets is not None:
                self.save_secrets(secrets={"session": self.secrets["session"]})

    @property
    def client(self) -> Client:
        if not hasattr(self, "_client"):
            client = Client(base_url=f"{self.service}/xrpc")
            client.on_session_change(self._session_changed)
            with self._errors():
                self._login(client)
            self._client = client
        return self._client

    def _login(self, client: Client) -> None:
        session = str(self.secrets.get("session") or "")
        if session:
            try:
                client.login(session_string=session, fetch_bsky_profile=False)
                client.com.atproto.server.get_session()  # refreshes (and saves) an aged session
                return
            except (at.UnauthorizedError, at.BadRequestError):
                if not self.secrets.get("app_password"):
                    raise  # nothing to fall back on: needs reconnect
        handle = str(self.config.get("handle", ""))
        client.login(handle, str(self.secrets.get("app_password", "")), fetch_bsky_profile=False)

    @property
    def did(self) -> str:
        return str(self.client._session.did)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        label = f"Bluesky at {self.service}"
        try:
            yield
        except at.NetworkError as exc:
            raise TemporaryChannelError(f"could not reach {label}") from exc
        except at.RequestErrorBase as exc:
            response = exc.response
            if response is None:
                raise TemporaryChannelError(f"{label} failed") from exc
            code = getattr(response.content, "error", "") or ""
            if response.status_code == 400 and code in AUTH_ERRORS:
                raise ChannelAuthError(f"{label} refused the session ({code})") from exc
            error = error_for(response.status_code, response.headers or {}, label)
            if isinstance(error, PermanentChannelError):
                message = str(getattr(response.content, "message", "") or code)[:300]
                error = PermanentChannelError(f"{label} refused it: {message or 'HTTP 400'}")
            raise error or TemporaryChannelError(f"{label} failed") from exc
        except at.LoginRequiredError as exc:
            raise ChannelAuthError(f"{label}: not logged in") from exc

    def _query(self, nsid: str, params: Any) -> Any:
        """The raw JSON answer (the SDK's models would fail a whole page on one odd item)."""
        with self._errors():
            response = self.client.invoke_query(nsid, params=params)
        if not isinstance(response.content, dict):
            raise TemporaryChannelError(f"Bluesky sent an answer to {nsid} that is not JSON")
        if ratelimit.exhausted(response.headers or {}):  # read by sync: wait for the reset
            self.retry_after_hint = ratelimit.retry_after(response.headers or {})
        return response.content

    def fetch(self, cursor: str) -> FetchResult:
        seen = _read_cursor(cursor)
        newest, records, page_cursor = seen, [], None
        me = self.did
        for page in range(self.max_pages):
            params = models.AppBskyNotificationListNotifications.Params(
                limit=PAGE, cursor=page_cursor
            )
            body = self._query("app.bsky.notification.listNotifications", params)
            notifications = body.get("notifications")
            if not isinstance(notifications, list):
                break
            reached = False
            for n in notifications:
                indexed = str(n.get("indexedAt", "")) if isinstance(n, dict) else ""
                if seen and indexed and indexed < seen:
                    reached = True
                    continue
                records.extend(bluesky_records.records(n, me=me))
                newest = max(newest, indexed) if indexed else newest
            page_cursor = body.get("cursor")
            if reached or not notifications or not isinstance(page_cursor, str):
                break
            if page == self.max_pages - 1 and seen:
                records.append(
                    SkippedRecord(
                        source_id="?",
                        reason="too many notifications in one poll; the oldest were not read",
                    )
                )
        records.reverse()  # oldest first, so a thread's parents come before its replies
        records[:0] = self._own_posts(records, me)
        return FetchResult(records=records, cursor=json.dumps({"seen": newest}) if newest else "")

    def _own_posts(self, records: list[Record], me: str) -> list[Record]:
        """The account's posts that items and signals point at, to show what was answered."""
        uris = sorted(
            {
                u
                for r in records
                if (u := getattr(r, "post_source_id", "")) and bluesky_records.did_of(u) == me
            }
        )
        found: list[Record] = []
        for start in range(0, len(uris), 25):
            params = models.AppBskyFeedGetPosts.Params(uris=uris[start : start + 25])
            body = self._query("app.bsky.feed.getPosts", params)
            posts = body.get("posts")
            found.extend(bluesky_records.own_post(p) for p in posts if isinstance(posts, list))
        return found

    def reply(self, target: ReplyTarget, text: str) -> PublishResult:
        """Reply under ``target`` with a proper reply ref: its own parent, its thread's root.

        Bluesky has no idempotency key, so the reply's record key is derived
        from (channel, target, text): a retry after a lost answer finds the
        reply already there instead of posting it twice.
        """
        params = models.AppBskyFeedGetPosts.Params(uris=[target.source_id])
        views = self._query("app.bsky.feed.getPosts", params).get("posts")
        if not isinstance(views, list) or len(views) != 1 or not isinstance(views[0], dict):
            raise PermanentChannelError("the Bluesky post to answer was deleted or is hidden")
        view = views[0]
        parent = models.ComAtprotoRepoStrongRef.Main(uri=view["uri"], cid=view["cid"])
        thread = (view.get("record") or {}).get("reply") or {}
        root_ref = thread.get("root") if isinstance(thread.get("root"), dict) else None
        root = (
            models.ComAtprotoRepoStrongRef.Main(uri=root_ref["uri"], cid=root_ref["cid"])
            if root_ref
            else parent
        )
        rkey = bluesky_records.reply_rkey(
            f"{self.channel_id}:{target.source_id}:{text}", str(view.get("indexedAt", ""))
        )
        repo = self.did
        collection = "app.bsky.feed.post"
        with self._errors():
            try:
                found = self.client.com.atproto.repo.get_record(
                    params={"repo": repo, "collection": collection, "rkey": rkey}
                )
                return PublishResult(
                    remote_id=found.uri, remote_url=bluesky_records.web_url(found.uri)
                )
            except at.BadRequestError:
                pass  # RecordNotFound: not sent yet
            record = models.AppBskyFeedPost.Record(
                text=text,
                created_at=self.client.get_current_time_iso(),
                reply=models.AppBskyFeedPost.ReplyRef(parent=parent, root=root),
            )
            created = self.client.com.atproto.repo.create_record(
                models.ComAtprotoRepoCreateRecord.Data(
                    repo=repo, collection=collection, rkey=rkey, record=record
                )
            )
        return PublishResult(remote_id=created.uri, remote_url=bluesky_records.web_url(created.uri))

    # --- publishing -------------------------------------------------------------------

    def publish(self, post: OutboundPost) -> PublishResult:
        """Create the post (each part of a thread) under its deterministic record key.

        Images (or, without images, the link card) go on the first part. Their
        blobs are uploaded just before that part is created: an upload is
        content-addressed and invisible until a record points at it, so one
        repeated by a retry creates nothing (and the record key still decides
        whether the post exists).
        """
        parts = list(post.parts) or [post.text]
        repo = self.did
        root: models.ComAtprotoRepoStrongRef.Main | None = None
        parent: models.ComAtprotoRepoStrongRef.Main | None = None
        for index, text in enumerate(parts):
            rkey = post_rkey(post.idempotency_key, index)
            reply = (
                models.AppBskyFeedPost.ReplyRef(root=root, parent=parent)
                if root and parent
                else None
            )
            embed = None
            if index == 0 and (post.media or post.card):
                existing = self._get_ref(repo, rkey)  # a retry: no second upload needed
                if existing is not None:
                    root = parent = existing
                    continue
                embed = self._embed(post)
            record = models.AppBskyFeedPost.Record(
                text=text,
                created_at=self.client.get_current_time_iso(),
                facets=self._facets(text) or None,
                reply=reply,
                embed=embed,
            )
            ref = self._create_once(repo, rkey, record)
            root = root or ref
            parent = ref
        assert root is not None
        return PublishResult(remote_id=root.uri, remote_url=bluesky_records.web_url(root.uri))

    def _upload(self, item: MediaItem) -> Any:
        with self._errors():
            return self.client.upload_blob(item.read()).blob

    def _embed(self, post: OutboundPost) -> Any:
        """``app.bsky.embed.images`` (alt text per image), else ``app.bsky.embed.external``."""
        if post.media:
            return models.AppBskyEmbedImages.Main(
                images=[
                    models.AppBskyEmbedImages.Image(
                        alt=item.alt,
                        image=self._upload(item),
                        aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(
                            width=item.width, height=item.height
                        )
                        if item.width and item.height
                        else None,
                    )
                    for item in post.media[: MEDIA_LIMITS.max_images]
                ]
            )
        card = post.card
        if card is None:
            return None
        thumb = None
        if card.thumb is not None:
            try:
                thumb = self._upload(card.thumb)
            except (ChannelError, OSError):  # a card without its picture is still a card
                thumb = None
        return models.AppBskyEmbedExternal.Main(
            external=models.AppBskyEmbedExternal.External(
                uri=card.uri, title=card.title, description=card.description, thumb=thumb
            )
        )

    def find_published(self, post: OutboundPost) -> PublishResult | None:
        """The post when all of it is there (the last part of a thread, then the first)."""
        count = max(1, len(post.parts))
        repo = self.did
        last = self._get_ref(repo, post_rkey(post.idempotency_key, count - 1))
        if last is None:
            return None  # parts are created in order: the last one proves the rest
        root = last if count == 1 else self._get_ref(repo, post_rkey(post.idempotency_key, 0))
        if root is None:
            return None
        return PublishResult(remote_id=root.uri, remote_url=bluesky_records.web_url(root.uri))

    def _get_ref(self, repo: str, rkey: str) -> models.ComAtprotoRepoStrongRef.Main | None:
        with self._errors():
            try:
                found = self.client.com.atproto.repo.get_record(
                    params={"repo": repo, "collection": POSTS, "rkey": rkey}
                )
            except at.BadRequestError as exc:
                code = getattr(getattr(exc.response, "content", None), "error", "")
                if code in AUTH_ERRORS:
                    raise
                return None  # RecordNotFound
        if not found.cid:
            return None
        return models.ComAtprotoRepoStrongRef.Main(uri=found.uri, cid=found.cid)

    def _create_once(
        self, repo: str, rkey: str, record: models.AppBskyFeedPost.Record
    ) -> models.ComAtprotoRepoStrongRef.Main:
        """createRecord under ``rkey``; "already exists" (a retry) is success."""
        try:
            with self._errors():
                created = self.client.com.atproto.repo.create_record(
                    models.ComAtprotoRepoCreateRecord.Data(
                        repo=repo, collection=POSTS, rkey=rkey, record=record
                    )
                )
        except ChannelAuthError:
            raise
        except ChannelError:  # the key may exist: this is a retry of a post that arrived
            existing = self._get_ref(repo, rkey)
            if existing is not None:
                return existing
            raise
        return models.ComAtprotoRepoStrongRef.Main(uri=created.uri, cid=created.cid)

    def _facets(self, text: str) -> list[models.AppBskyRichtextFacet.Main]:
        found = bluesky_facets.facets(text, self._resolve_handle)
        return [
            models.AppBskyRichtextFacet.Main(
                index=models.AppBskyRichtextFacet.ByteSlice(
                    byte_start=f.byte_start, byte_end=f.byte_end
                ),
                features=[
                    models.AppBskyRichtextFacet.Link(uri=f.value)
                    if f.kind == bluesky_facets.LINK
                    else models.AppBskyRichtextFacet.Mention(did=f.value)
                ],
            )
            for f in found
        ]

    def _resolve_handle(self, handle: str) -> str | None:
        """The DID behind ``handle``, or None when it does not resolve (it stays plain text)."""
        cache: dict[str, str | None] = self.__dict__.setdefault("_handles", {})
        if handle not in cache:
            with self._errors():
                try:
                    answer = self.client.com.atproto.identity.resolve_handle(
                        params={"handle": handle}
                    )
                    cache[handle] = str(answer.did)
                except at.BadRequestError:
                    cache[handle] = None
        return cache[handle]


def _read_cursor(cursor: str) -> str:
    try:
        value = json.loads(cursor) if cursor else {}
    except ValueError:
        return ""
    return str(value.get("seen", "")) if isinstance(value, dict) else ""


@hookimpl
def register_channels(register: Any) -> None:
    register(BlueskyChannel)
