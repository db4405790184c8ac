"""Benchmark: import a generated WordPress export with N comments.

    .venv/bin/python bench/import_wxr.py --n 1000000
    .venv/bin/python bench/import_wxr.py --n 100000 --database-url postgres://postgres@127.0.0.1:5432/bench

Generates a WXR file (posts of 1,000 comments, in time order; a fifth of the comments answer
an earlier one; one in twenty is the owner's reply; authors repeat), imports it
into a fresh data directory (SQLite) or the given PostgreSQL database, and prints
comments/s, wall time and peak RSS. The target: 1,000,000 comments in <= 120 s
at <= 500 MB peak RSS on SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Bench blog</title><link>https://bench.example</link>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>https://bench.example</wp:base_site_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[owner]]></wp:author_login>
<wp:author_email><![CDATA[owner@bench.example]]></wp:author_email></wp:author>
"""
START = datetime(2024, 1, 1)  # comments every 30 s: a busy blog's year, in order
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
    "butter",
    "sugar",
    "great",
    "post",
    "thanks",
    "how",
    "long",
    "should",
    "I",
    "wait",
    "question",
    "recipe",
    "love",
    "this",
    "would",
    "you",
    "recommend",
    "where",
    "buy",
]


def generate(path: Path, n: int, per_post: int = 1000, seed: int = 7) -> None:
    rng = random.Random(seed)
    authors = max(1, n // 5)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        comment_id = 0
        post_id = 0
        while comment_id < n:
            post_id += 1
            out.write(
                f"<item><title>Post {post_id}</title><link>https://bench.example/p/{post_id}/</link>"
                f"<content:encoded><![CDATA[<p>{' '.join(rng.choices(WORDS, k=80))}</p>]]></content:encoded>"
                f"<wp:post_id>{post_id}</wp:post_id><wp:post_date_gmt>2024-01-01 10:00:00</wp:post_date_gmt>"
                "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n"
            )
            first = comment_id + 1
            for _ in range(min(per_post, n - comment_id)):
                comment_id += 1
                own = rng.random() < 0.05
                parent = (
                    rng.randint(first, comment_id - 1)
                    if comment_id > first and (own or rng.random() < 0.2)
                    else 0
                )
                who = rng.randrange(authors)
                email = "owner@bench.example" if own else f"person{who}@example.org"
                name = "Owner" if own else f"Person {who}"
                body = " ".join(rng.choices(WORDS, k=rng.randint(5, 40)))
                approved = "spam" if rng.random() < 0.03 else "1"
                when = (START + timedelta(seconds=30 * comment_id)).strftime("%Y-%m-%d %H:%M:%S")
                out.write(
                    "<wp:comment>"
                    f"<wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[{name}]]></wp:comment_author>"
                    f"<wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email>"
                    f"<wp:comment_author_url>https://example.org/{who}</wp:comment_author_url>"
                    "<wp:comment_author_IP><![CDATA[192.0.2.1]]></wp:comment_author_IP>"
                    f"<wp:comment_date><![CDATA[{when}]]></wp:comment_date>"
                    f"<wp:comment_date_gmt><![CDATA[{when}]]></wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[{body}?\n\nThanks, <b>{name}</b>]]></wp:comment_content>"
                    f"<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>"
                    "<wp:comment_type><![CDATA[comment]]></wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent>"
                    f"<wp:comment_user_id>{1 if own else 0}</wp:comment_user_id>"
                    "</wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="comments to generate")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rapport-bench-import-"))
    os.environ["RAPPORT_DATA_DIR"] = str(data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "rapport.settings"
    path = data_dir / "bench.xml"
    started = time.perf_counter()
    generate(path, args.n)
    print(
        f"generated {args.n:,} comments, {path.stat().st_size / 1e6:.0f} MB "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    import django

    django.setup()
    from django.core.management import call_command

    from rapport.accounts.models import Workspace
    from rapport.channels.importing import run_import

    call_command("migrate", interactive=False, verbosity=0)
    Workspace.objects.filter(slug="bench").delete()
    workspace = Workspace.objects.create(slug="bench", name="Bench")
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    summary = run_import(workspace=workspace, kind="wxr", path=path, enqueue_triage=False)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{backend}: {summary.items_created:,} comments, {summary.posts_created:,} posts "
        f"in {wall:.1f} s = {summary.items_created / wall:,.0f} comments/s "
        f"(CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}); "
        f"peak RSS {peak_rss_mb():.0f} MB (before import {rss_before:.0f} MB)"
    )
    if args.database_url:
        Workspace.objects.filter(pk=workspace.pk).delete()
    if not args.keep:
        path.unlink()
        if not args.database_url:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(0 if summary.items_created == args.n else 1)


if __name__ == "__main__":
    main()
