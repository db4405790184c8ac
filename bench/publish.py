"""Benchmark: N deliveries due in the same minute, one worker, a local webhook peer.

    .venv/bin/python bench/publish.py --n 10000 --threads 4
    .venv/bin/python bench/publish.py --database-url postgres://postgres@127.0.0.1:5432/rapport_bench

Creates N posts with one webhook delivery each, all due at the same instant,
queued exactly as the composer queues them (``tasks.enqueue_delivery`` from
``transaction.on_commit``: one dispatch task per due second, which hands the
due deliveries to batch tasks),
then starts ONE ``rapport worker`` process and waits until the peer has them
all. Prints the total time from the due instant to the last arrival, lateness
percentiles, duplicates and lost deliveries. Target: all sent within 60 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def setup(data_dir: str, database_url: str | None = None) -> None:
    """Settings for the bench; SQLite in ``data_dir`` unless ``database_url`` (an existing
    PostgreSQL database; the bench adds its own workspace and leaves earlier rows alone)."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        RAPPORT_DATA_DIR=data_dir,
        RAPPORT_ALLOW_PRIVATE_WEBHOOKS="1",
        DJANGO_SETTINGS_MODULE="publish_settings",
        PYTHONPATH=f"{BENCH}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(BENCH))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def create(n: int, url: str, lookup: str, due: datetime) -> list[int]:
    from rapport.accounts.services import create_workspace
    from rapport.channels.services import add_channel
    from rapport.publish.models import Delivery, Post, PostStatus

    ws = create_workspace(slug=f"bench-{int(time.time())}")
    channel = add_channel(
        workspace=ws,
        kind="webhook",
        name="Peer",
        config={"url": url, "lookup_url": lookup},
        secrets={"secret": "bench-secret-0123456789"},
    )
    posts = Post.objects.bulk_create(
        Post(
            workspace=ws,
            title=f"Post {i}",
            body=f"Post **{i}**",
            text=f"Post {i}",
            status=PostStatus.SCHEDULED,
            scheduled_at=due,
        )
        for i in range(n)
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(post=p, channel=channel, body=p.text, html=f"<p>{p.text}</p>", due_at=due)
        for p in posts
    )
    return [d.pk for d in deliveries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=4, help="worker threads in the one process")
    parser.add_argument("--lead", type=float, default=20.0, help="seconds until the due instant")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--database-url", help="postgres://... (default: SQLite in a temp dir)")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="rapport-bench-publish-")
    setup(data_dir, args.database_url)
    from django.db import connection

    from publish_peer import BenchPeer
    from rapport.publish.tasks import enqueue_delivery

    peer = BenchPeer()
    t0 = time.time()
    due = datetime.now(UTC) + timedelta(seconds=args.lead)
    ids = create(args.n, f"{peer.base}/hook", f"{peer.base}/lookup", due)
    for delivery_id in ids:
        enqueue_delivery(delivery_id, due)
    print(f"created and queued {len(ids)} deliveries in {time.time() - t0:.1f} s")
    if datetime.now(UTC) >= due:
        sys.exit("creating took longer than --lead; raise it")
    worker = subprocess.Popen(
        [sys.executable, "-m", "rapport", "worker", "--workers", str(args.threads)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + args.timeout
        while peer.distinct() < len(ids) and time.time() < deadline:
            time.sleep(0.5)
        time.sleep(2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = cpu.ru_utime + cpu.ru_stime
    due_ts = due.timestamp()
    late = sorted(t - due_ts for t in peer.first_arrivals().values())
    p = lambda q: late[min(len(late) - 1, int(q * len(late)))] if late else float("nan")  # noqa: E731
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cpus, "
        f"python {platform.python_version()}, {connection.vendor}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"deliveries: {len(ids)}  worker threads: {args.threads}")
    print(f"sent: {len(late)}  lost: {len(ids) - len(late)}  duplicates: {peer.duplicates()}")
    if late:
        print(
            f"all sent {late[-1]:.1f} s after the due instant "
            f"({len(late) / max(late[-1], 1e-9):.0f} deliveries/s)"
        )
        print(
            f"worker CPU {worker_cpu:.1f} s = {1000 * worker_cpu / len(late):.1f} ms per "
            f"delivery (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus)"
        )
        print(
            f"lateness p50 {p(0.5):.2f} s  p99 {p(0.99):.2f} s  max {late[-1]:.2f} s  "
            f"mean {statistics.fmean(late):.2f} s"
        )


if __name__ == "__main__":
    main()
