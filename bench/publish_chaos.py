"""Chaos benchmark: kill -9 workers at random moments across N deliveries.

    .venv/bin/python bench/publish_chaos.py --n 1000 --workers 2

Creates N webhook deliveries due at once against a local peer that counts every
POST (it does not de-duplicate), runs several ``rapport worker`` processes and
SIGKILLs a random one every 0.2-1.5 s, starting a fresh one in its place,
while the minute sweep's work runs every few seconds (with the claim lease cut
to 5 s by ``publish_settings``). When the kills stop, the survivors finish.
Pass: every delivery ``sent`` in the database, arrived at the peer, and no POST
arrived twice. Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from publish import create, setup


def start_worker(threads: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "rapport", "worker", "--workers", str(threads)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--kill-for", type=float, default=60.0, help="seconds of kills")
    parser.add_argument("--timeout", type=float, default=400.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="postgres://... (default: SQLite in a temp dir)")
    parser.add_argument(
        "--peer-delay", type=float, default=0.05, help="seconds the peer holds each answer"
    )
    args = parser.parse_args()
    random.seed(args.seed)
    setup(tempfile.mkdtemp(prefix="rapport-bench-chaos-"), args.database_url)
    from django.db import connection

    from publish_peer import BenchPeer
    from rapport.publish.models import Delivery, DeliveryStatus
    from rapport.publish.sweep import sweep
    from rapport.publish.tasks import enqueue_batches, enqueue_delivery

    peer = BenchPeer(delay=args.peer_delay)
    due = datetime.now(UTC) + timedelta(seconds=15)
    ids = create(args.n, f"{peer.base}/hook", f"{peer.base}/lookup", due)
    for delivery_id in ids:
        enqueue_delivery(delivery_id, due)
    workers = [start_worker(args.threads) for _ in range(args.workers)]
    kills, started = 0, time.time()
    next_kill, next_sweep = started + random.uniform(0.2, 1.5), started

    def all_sent() -> bool:
        return not Delivery.objects.filter(pk__in=ids).exclude(status=DeliveryStatus.SENT).exists()

    try:
        while time.time() - started < args.timeout:
            now = time.time()
            if now - started < args.kill_for and now >= next_kill:
                victim = random.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = start_worker(args.threads)
                kills += 1
                next_kill = now + random.uniform(0.2, 1.5)
            if now >= next_sweep:  # what the minute sweep does, more often
                enqueue_batches(sweep(datetime.now(UTC), grace=timedelta(seconds=5)))
                next_sweep = now + 3
                if now - started > args.kill_for and all_sent():
                    break
            time.sleep(0.05)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
    time.sleep(1)
    statuses = Counter(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True))
    arrived, duplicates = peer.distinct(), peer.duplicates()
    lost = args.n - arrived
    print(
        f"deliveries {args.n}, worker processes {args.workers}x{args.threads} threads, "
        f"SIGKILLs {kills}, {time.time() - started:.0f} s, {connection.vendor}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    recovered = Delivery.objects.filter(pk__in=ids, attempts__gt=1).count()
    print(f"database: {dict(statuses)}; {recovered} needed more than one attempt")
    print(f"peer: answer delay {args.peer_delay} s, lookups answered {peer.lookups}")
    print(f"peer: arrived {arrived}, lost {lost}, duplicate POSTs {duplicates}")
    ok = lost == 0 and duplicates == 0 and statuses == Counter({DeliveryStatus.SENT: args.n})
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
