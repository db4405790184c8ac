"""Benchmark: items/s fetched from a local peer and ingested through ``sync_channel``.

    .venv/bin/python bench/fetch.py --peer rss --n 5000
    .venv/bin/python bench/fetch.py --peer mastodon --n 1000
    .venv/bin/python bench/fetch.py --peer rss --database-url postgres://postgres@127.0.0.1:5432/bench

``rss``: a loopback HTTP server serves a blog's posts feed and one site-wide
Atom comment feed with N comments (a fifth answer an earlier one); the run
times the fetch alone (HTTP + feedparser + mapping), then a full poll (fetch
+ ingest into a fresh SQLite or the given PostgreSQL), then a re-poll that the
server answers with 304. ``mastodon``: mastodon-mock (a stateful mock of the
Mastodon API) seeded with N mentions, polled until caught up (40
notifications a request, 10 requests a poll), running in its own process.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

WORDS = [
    "bread",
    "flour",
    "starter",
    "oven",
    "crust",
    "proof",
    "dough",
    "loaf",
    "rye",
    "great",
    "how",
    "long",
    "should",
    "I",
    "wait",
]
BLOG = "http://blog.example"


def atom(entries: list[str], title: str) -> bytes:
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xmlns:thr="http://purl.org/syndication/thread/1.0"><id>{BLOG}/{title}</id>'
        f"<title>{title}</title><updated>2026-11-20T08:00:00Z</updated>"
    )
    return (head + "".join(entries) + "</feed>").encode()


def feeds(n: int, per_post: int = 100, seed: int = 7) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    posts, comments = [], []
    for p in range(max(1, n // per_post)):
        posts.append(
            f"<entry><id>{BLOG}/p/{p}/</id><title>Post {p}</title><link href='{BLOG}/p/{p}/'/>"
            f"<updated>2026-11-01T08:00:00Z</updated><content type='html'>&lt;p&gt;Post {p}&lt;/p&gt;</content></entry>"
        )
    for c in range(n):
        post = c // per_post
        reply = ""
        if c % per_post and rng.random() < 0.2:
            parent = rng.randrange(post * per_post, c)
            reply = f"<thr:in-reply-to ref='tag:bench,2026:c{parent}' href='{BLOG}/p/{post}/#c{parent}'/>"
        text = escape(" ".join(rng.choices(WORDS, k=rng.randint(5, 40))))
        sec = c % 86400
        comments.append(
            f"<entry><id>tag:bench,2026:c{c}</id><title>Comment {c}</title>"
            f"<updated>2026-11-20T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z</updated>"
            f"<author><name>Person {rng.randrange(n // 5 + 1)}</name></author>"
            f"<link href='{BLOG}/p/{post}/#c{c}'/><content type='html'>&lt;p&gt;{text}?&lt;/p&gt;</content>"
            f"{reply}</entry>"
        )
    return atom(posts, "posts"), atom(comments, "comments")


def serve(routes: dict[str, bytes]) -> str:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            etag = f'"{len(body)}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def bench_rss(n: int, workspace: Any) -> int:
    from rapport.channels.platforms.rss import RssChannel
    from rapport.channels.services import add_channel
    from rapport.channels.sync import sync_channel

    posts, comments = feeds(n)
    url = serve({"/posts.atom": posts, "/comments.atom": comments})
    config = {"feed_url": f"{url}/posts.atom", "comments_url": f"{url}/comments.atom"}
    print(
        f"feeds: {len(posts) / 1e6:.1f} MB of posts, {len(comments) / 1e6:.1f} MB of {n:,} comments"
    )

    started = time.perf_counter()
    records = RssChannel(config=config, secrets={}).fetch("").records
    fetch_s = time.perf_counter() - started
    print(
        f"fetch only: {len(records):,} records in {fetch_s:.2f} s = {len(records) / fetch_s:,.0f} records/s"
    )

    channel = add_channel(
        workspace=workspace, kind="rss", name="Bench blog", config=config, secrets={}
    )
    started = time.perf_counter()
    summary = sync_channel(channel_id=channel.pk)
    poll_s = time.perf_counter() - started
    print(
        f"fetch + ingest: {summary.items_created:,} items, {summary.posts_created:,} posts in {poll_s:.2f} s "
        f"= {summary.items_created / poll_s:,.0f} items/s ({summary.outcome})"
    )
    channel.last_synced_at = None
    started = time.perf_counter()
    again = sync_channel(channel_id=channel.pk)
    print(
        f"re-poll (304 Not Modified): {again.fetched} records in {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    return summary.items_created


def bench_mastodon(n: int, workspace: Any) -> int:
    import socket
    import subprocess

    import httpx

    from rapport.channels.services import add_channel
    from rapport.channels.sync import sync_channel

    home = Path(tempfile.mkdtemp(prefix="rapport-bench-mastodon-"))
    (home / "mock.toml").write_text(
        '[[seed.accounts]]\nusername = "alice"\naccess_token = "alice_token"\n'
        '[[seed.accounts]]\nusername = "bob"\naccess_token = "bob_token"\n'
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "mastodon_mock"
    args = [str(exe), "serve", "--config", str(home / "mock.toml"), "--in-memory"]
    server = subprocess.Popen(
        [*args, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/api/v1/instance", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        started = time.perf_counter()
        with httpx.Client(headers={"Authorization": "Bearer bob_token"}) as bob:
            for i in range(n):
                text = f"@alice question {i}: {' '.join(random.choices(WORDS, k=12))}?"
                bob.post(f"{base}/api/v1/statuses", data={"status": text}).raise_for_status()
        print(f"seeded {n:,} mentions in {time.perf_counter() - started:.1f} s (separate process)")
        channel = add_channel(
            workspace=workspace,
            kind="mastodon",
            name="Bench Mastodon",
            config={"base_url": base},
            secrets={"access_token": "alice_token"},
        )
        started, polls, items = time.perf_counter(), 0, 0
        while True:
            summary = sync_channel(channel_id=channel.pk)
            polls += 1
            items += summary.items_created
            if summary.outcome != "ok" or summary.fetched == 0:
                break
        poll_s = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"fetch + ingest: {items:,} items in {polls} polls, {poll_s:.2f} s = {items / poll_s:,.0f} items/s"
    )
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", choices=("rss", "mastodon"), default="rss")
    parser.add_argument("--n", type=int, default=5000, help="comments or mentions on the peer")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rapport-bench-fetch-"))
    os.environ["RAPPORT_DATA_DIR"] = str(data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "rapport.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from rapport.accounts.models import Workspace
    from rapport.channels import sync

    settings.HUEY.immediate = True
    sync._triage = lambda workspace_id: None  # triage has its own benchmark; not timed here
    call_command("migrate", interactive=False, verbosity=0)
    Workspace.objects.filter(slug="bench-fetch").delete()
    workspace = Workspace.objects.create(slug="bench-fetch", name="Bench fetch")
    print(
        f"{args.peer} peer, {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs"
    )
    created = (
        bench_rss(args.n, workspace) if args.peer == "rss" else bench_mastodon(args.n, workspace)
    )
    if args.database_url:
        Workspace.objects.filter(pk=workspace.pk).delete()
    else:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(0 if created == args.n else 1)


if __name__ == "__main__":
    main()
