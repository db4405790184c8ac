"""WordPress comments through the REST API (``/wp-json/wp/v2/comments``).

``config``: ``base_url`` (the site), ``username``; ``secrets``: ``app_password``
(an application password, sent with HTTP basic auth). ``fetch`` asks for
comments in ``date_gmt`` order after the cursor's time, ``per_page=100``, page
by page until ``X-WP-TotalPages`` (at most ``max_pages`` a poll), then reads the
titles of the posts they answer.

``after`` filters on the comment's own date, and a comment held for moderation
keeps that date when it is approved hours later; the comments endpoint has no
``modified_after``. So once a poll has read every page, the next one starts
``lookback_hours`` (default 48) before the newest comment seen; while catching
up (the page cap was hit) it starts one second before, because ``after`` is
strict and two comments can share a second. What is read twice, ingest
(idempotent) adds once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from rapport.channels.base import Channel
from rapport.channels.platforms import wordpress_records
from rapport.channels.platforms._http import check, json_body, transport_errors
from rapport.channels.records import (
    FetchResult,
    ItemRecord,
    PublishResult,
    Record,
    ReplyTarget,
)
from rapport.errors import PermanentChannelError, ValidationError
from rapport.hookspecs import hookimpl

PER_PAGE = 100
LOOKBACK_HOURS = 48  # comments approved late keep their old date: re-read this window


class WordPressChannel(Channel):
    kind = "wordpress"
    label = "WordPress comments"
    can_fetch = True
    can_reply = True
    needs_credentials = True
    config_fields = ("base_url", "username")
    secret_fields = ("app_password",)
    max_pages = 10

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        url = str(config.get("base_url", ""))
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ValidationError("base_url must be the site's address", field="base_url")
        if not str(config.get("username", "")).strip():
            raise ValidationError("the WordPress user name is needed", field="username")
        if not str(secrets.get("app_password", "")).strip():
            raise ValidationError("an application password is needed", field="app_password")

    @property
    def label_for_errors(self) -> str:
        return f"WordPress at {urlsplit(str(self.config['base_url'])).hostname}"

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = str(self.config["base_url"]).rstrip("/") + "/wp-json/wp/v2" + path
        auth = (str(self.config["username"]), str(self.secrets.get("app_password", "")))
        with transport_errors(self.label_for_errors):
            response = self.http.request(
                method, url, auth=auth, follow_redirects=method == "GET", **kwargs
            )
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return json_body(
            check(self._call(method, path, **kwargs), self.label_for_errors), "WordPress"
        )

    def fetch(self, cursor: str) -> FetchResult:
        since, caught_up = _read_cursor(cursor)
        params: dict[str, Any] = {"per_page": PER_PAGE, "orderby": "date_gmt", "order": "asc"}
        if since:
            hours = float(self.config.get("lookback_hours") or LOOKBACK_HOURS)
            back = timedelta(hours=hours) if caught_up else timedelta(seconds=1)
            params["after"] = (since - back).strftime("%Y-%m-%dT%H:%M:%S")
        records: list[Record] = []
        newest = since
        complete = False
        for page in range(1, self.max_pages + 1):
            response = check(
                self._call("GET", "/comments", params={**params, "page": page}),
                self.label_for_errors,
            )
            batch = json_body(response, "WordPress")
            if not isinstance(batch, list):
                raise PermanentChannelError(f"{self.label_for_errors} did not answer with a list")
            host = urlsplit(str(self.config["base_url"])).hostname or ""
            for payload in batch:
                record = wordpress_records.comment(payload, host=host)
                records.append(record)
                if isinstance(record, ItemRecord) and (
                    newest is None or record.created_at > newest
                ):
                    newest = record.created_at
            if page >= _total_pages(response) or not batch:
                complete = True
                break
        posts = {
            r.post_source_id for r in records if isinstance(r, ItemRecord) and r.post_source_id
        }
        records[:0] = self._posts(sorted(posts))
        out = json.dumps({"after": newest.isoformat(), "complete": complete}) if newest else cursor
        return FetchResult(records=records, cursor=out)

    def _posts(self, ids: list[str]) -> list[Record]:
        """The posts the comments answer, so the inbox can show their titles."""
        found: list[Record] = []
        for start in range(0, len(ids), PER_PAGE):
            chunk = ids[start : start + PER_PAGE]
            response = self._call(
                "GET", "/posts", params={"include": ",".join(chunk), "per_page": PER_PAGE}
            )
            if response.status_code >= 400 and response.status_code < 429:
                continue  # comments on pages or private posts: the items stay unlinked
            payloads = json_body(check(response, self.label_for_errors), "WordPress")
            if isinstance(payloads, list):
                found.extend(wordpress_records.post(p) for p in payloads)
        return found

    def reply(self, target: ReplyTarget, text: str) -> PublishResult:
        """Post a reply under the comment; a retry that WordPress calls a duplicate
        finds the reply already there instead of failing."""
        parent = self._json("GET", f"/comments/{int(target.source_id)}", params={"context": "view"})
        body = {"post": parent.get("post"), "parent": int(target.source_id), "content": text}
        response = self._call("POST", "/comments", json=body)
        if response.status_code == 409:  # "comment_duplicate": the first try went through
            return self._find_reply(int(target.source_id))
        created = json_body(check(response, self.label_for_errors), "WordPress")
        return PublishResult(
            remote_id=str(created.get("id")), remote_url=str(created.get("link") or "")
        )

    def _find_reply(self, parent: int) -> PublishResult:
        me = self._json("GET", "/users/me")
        found = self._json(
            "GET",
            "/comments",
            params={
                "parent": parent,
                "author": me.get("id"),
                "orderby": "date_gmt",
                "order": "desc",
            },
        )
        if not isinstance(found, list) or not found or not isinstance(found[0], dict):
            raise PermanentChannelError(
                "WordPress calls the reply a duplicate but it cannot be found"
            )
        return PublishResult(
            remote_id=str(found[0].get("id")), remote_url=str(found[0].get("link") or "")
        )


def _total_pages(response: httpx.Response) -> int:
    raw = response.headers.get("x-wp-totalpages", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _read_cursor(cursor: str) -> tuple[datetime | None, bool]:
    """(newest comment time seen, whether that poll read every page)."""
    try:
        value = json.loads(cursor) if cursor else {}
        when = datetime.fromisoformat(str(value["after"])) if isinstance(value, dict) else None
    except (ValueError, KeyError):
        return None, False
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when, bool(value.get("complete", True))


@hookimpl
def register_channels(register: Any) -> None:
    register(WordPressChannel)
