"""End-to-end ``triage_pending`` on a real database: items/s and peak memory.

Creates a fresh workspace with ``--items`` comments (YouTube texts, some exact
and near duplicates, 20 posts) in the configured database, then times
``triage_pending``: fetching, the duplicate index, classifying, storing
decisions and mirroring them on the items.

    RAPPORT_DATA_DIR=/tmp/rapport-bench python bench/triage_services.py --items 50000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from rapport.accounts.models import Workspace
    from rapport.inbox.models import Item
    from rapport.publish.models import Post
    from rapport.triage import datasets
    from rapport.triage.services import triage_pending

    texts = [i.text for v in datasets.youtube_videos(ROOT / "data" / "youtube_spam") for i, _ in v]
    slug = f"bench{int(time.time())}"
    ws = Workspace.objects.create(slug=slug, name=slug)
    posts = [
        Post.objects.create(workspace=ws, title=f"Post {n}", text=texts[n] * 3) for n in range(20)
    ]
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    Item.objects.bulk_create(
        (
            Item(
                workspace=ws,
                source="bench",
                source_id=str(n),
                post=posts[n % 20],
                created_at=t0 + timedelta(seconds=n),
                text=texts[n % len(texts)] + ("" if n < len(texts) else f" #{n % 7}"),
            )
            for n in range(args.items)
        ),
        batch_size=2000,
    )
    from rapport.triage.registry import get_classifier

    get_classifier()  # load plugins and the model before timing
    started = time.perf_counter()
    done = triage_pending(workspace=ws)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dupes = Item.objects.filter(workspace=ws, is_duplicate=True).count()
    print(
        f"{done} items triaged in {elapsed:.1f} s: {done / elapsed:,.0f} items/s "
        f"(database: {django.db.connection.vendor}); {dupes} duplicates; peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
