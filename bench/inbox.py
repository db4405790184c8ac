"""Inbox page latency with a large workspace.

Fills a fresh database with N items (realistic label mix, 10,000 authors, threads), then
requests the inbox pages, the people list and the page of the person with the most items
through Django's full stack (middleware, auth, templates) and prints p50/p95/max per page. Target: p95 <= 100 ms with 1,000,000 items, SQLite and PostgreSQL.

    .venv/bin/python bench/inbox.py --n 1000000
    .venv/bin/python bench/inbox.py --n 1000000 --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

LABELS = [("needs_reply", 0.08), ("conversation", 0.17), ("appreciation", 0.30), ("spam", 0.45)]


def fresh_postgres(url: str) -> str:
    import psycopg

    name = "rapport_bench_inbox"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def fill(n: int) -> tuple[object, object]:
    from django.db import transaction

    from rapport.accounts.services import create_user, create_workspace
    from rapport.inbox.models import Item
    from rapport.people.models import Identity, Person
    from rapport.publish.models import Post

    ws = create_workspace(slug="bench", name="Bench")
    user, _ = create_user(email="bench@example.com", workspace=ws, role="owner", password="x" * 12)
    rng = random.Random(7)
    people = Person.objects.bulk_create(
        Person(workspace=ws, display_name=f"Person {i}") for i in range(10_000)
    )
    ids = Identity.objects.bulk_create(
        Identity(
            workspace=ws,
            person=p,
            platform="wxr",
            key=f"p{i}@example.com",
            display_name=p.display_name,
        )
        for i, p in enumerate(people)
    )
    posts = Post.objects.bulk_create(
        Post(workspace=ws, title=f"Post {i}", source="bench", source_id=str(i), status="imported")
        for i in range(2_000)
    )
    now = datetime.now(UTC)
    labels = [name for name, _ in LABELS]
    weights = [w for _, w in LABELS]
    batch = 20_000
    started = time.perf_counter()
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            label = rng.choices(labels, weights)[0]
            created = now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
            # Most of the history is handled; only recent items are still open.
            recent = (now - created).days < 14
            state = "open" if recent or rng.random() < 0.01 else "done"
            rows.append(
                Item(
                    workspace=ws,
                    source="bench",
                    source_id=str(i),
                    kind="comment",
                    post=posts[rng.randrange(len(posts))],
                    # one regular with a long history (5 % of everything), for the person page
                    author=ids[0] if rng.random() < 0.05 else ids[rng.randrange(len(ids))],
                    html=f"<p>Comment number {i} with a question?</p>",
                    text=f"Comment number {i} with a question?",
                    created_at=created,
                    state=state,
                    label=label,
                    flags=[],
                    is_duplicate=rng.random() < 0.02,
                    confidence=round(rng.random(), 2),
                )
            )
        with transaction.atomic():
            Item.objects.bulk_create(rows)
        print(
            f"\r  {min(n, start + batch):>9,} items ({time.perf_counter() - started:.0f} s)",
            end="",
            flush=True,
        )
    print()
    return ws, user


def measure(client: object, url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="rapport-bench-inbox-")
    os.environ["RAPPORT_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "rapport.settings"
    os.environ["RAPPORT_ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("DATABASE_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = fresh_postgres(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; filling {args.n:,} items")
    ws, user = fill(args.n)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    base = f"/w/{ws.slug}/inbox/"  # type: ignore[attr-defined]
    from django.db.models import Count

    from rapport.inbox.models import Item

    busiest = (
        Item.objects.filter(workspace=ws)
        .values("author__person_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    people = f"/w/{ws.slug}/people/"  # type: ignore[attr-defined]
    pages = {
        "inbox (needs reply + conversation)": base,
        "appreciation tab": base + "?tab=appreciation",
        "spam tab": base + "?tab=spam",
        "done tab": base + "?tab=done",
        "people list": people,
        f"person page ({busiest['n']:,} items)": f"{people}{busiest['author__person_id']}/",
    }
    client.get(base)  # warm caches
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    worst = 0.0
    for name, url in pages.items():
        times = measure(client, url, args.repeat)
        p95 = statistics.quantiles(times, n=20)[18]
        worst = max(worst, p95)
        print(f"{name:40} {statistics.median(times):8.1f} {p95:8.1f} {max(times):8.1f}")
    print(f"worst p95: {worst:.1f} ms (target <= 100 ms) -> {'OK' if worst <= 100 else 'MISSED'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
