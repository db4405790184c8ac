"""Triage speed of the default model on one core: batch throughput and single-item latency.

Classifies the YouTube Spam Collection's comments (repeated to ``--items``) in
batches of ``--batch`` as the services do, then one item at a time. Run it
pinned to one core: ``taskset -c 1 python bench/triage_speed.py``. Reports
wall-clock and CPU (process) time; on a shared machine the CPU figure is the
fairer one. Target: >= 10,000 items/s.

Then the same batches through a self-adapted workspace classifier
(``selfadapt.fit`` on ``--reference`` other items: adapted weights plus the
neighbourhood that settles unsure items), in the same run, so the two figures
compare as a ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rapport.triage import datasets, selfadapt  # noqa: E402
from rapport.triage.classifier import DefaultClassifier  # noqa: E402
from rapport.triage.types import TriageInput  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--single", type=int, default=2000, help="items timed one by one")
    parser.add_argument(
        "--reference", type=int, default=1000, help="workspace items the adapted model learns from"
    )
    args = parser.parse_args()

    videos = datasets.youtube_videos(ROOT / "data" / "youtube_spam")
    base = [item for video in videos for item, _ in video]
    items = [
        TriageInput(
            key=i, text=base[i % len(base)].text, parent_text=base[i % len(base)].parent_text
        )
        for i in range(args.items)
    ]
    classifier = DefaultClassifier()
    classifier.classify_batch(items[:200])  # warm caches

    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(items), args.batch):
        classifier.classify_batch(items[start : start + args.batch])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"model {classifier.version}; {len(items)} items in batches of {args.batch}")
    print(
        f"batch:  {len(items) / wall:,.0f} items/s wall, {len(items) / cpu:,.0f} items/s CPU  (target >= 10,000)"
    )

    latencies = []
    for item in items[: args.single]:
        t = time.perf_counter()
        classifier.classify_batch([item])
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)]
    print(
        f"single: median {statistics.median(latencies) * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms per item"
    )

    history = [
        TriageInput(key=-1 - i, text=base[(i * 7) % len(base)].text) for i in range(args.reference)
    ]
    delta = selfadapt.fit(classifier.model, history)
    adapted = delta.classifier(classifier.model)
    adapted.classify_batch(items[:200])
    a_wall, a_cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(items), args.batch):
        adapted.classify_batch(items[start : start + args.batch])
    a_wall, a_cpu = time.perf_counter() - a_wall, time.process_time() - a_cpu
    print(
        f"self-adapted with a neighbourhood of {len(delta.neighbours or ())} items: "
        f"{len(items) / a_wall:,.0f} items/s wall, {len(items) / a_cpu:,.0f} items/s CPU "
        f"({cpu / a_cpu:.2f} of the default model's speed)"
    )


if __name__ == "__main__":
    main()
