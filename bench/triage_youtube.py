"""Spam F1 on the YouTube Spam Collection, leave-one-video-out.

For each of the five videos: fit the default model on the other four videos
plus the team's corpus and the customer-care training half, exactly as
``rapport triage train`` does (never on the held-out video), triage the held-out
comments with the full default classifier, and score label == spam. The
held-out video plays a workspace: its comments answer the video (parent text)
and arrive in the order they were posted (``datasets.arrival_order``: the file's
order, oriented by its dated rows; a missing date never places a comment),
each passing the workspace's duplicate index first as in ``triage_pending``, so
it carries the ``seen_before`` the desk would give it. ``--order random`` shuffles
the arrival order instead (same figures expected: nothing may depend on it).
Then, as ``rapport triage adapt`` and ``run --all`` do in a workspace, the fold
model is self-adapted to the held-out video's own comments (their text only,
never their labels: ``selfadapt``) and labels them, the comments it is unsure
of settled with their nearest comments in the video (``neighbours``);
``--no-adapt`` skips both, ``--no-neighbours`` only the second.
Prints per-fold precision, recall, F1, accuracy and MCC, and the mean F1
(target >= 0.97).

    python bench/triage_youtube.py [--data data/youtube_spam] [--no-corpus]
                                   [--order arrival|random] [--seed N] [--no-adapt]
                                   [--no-neighbours]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rapport.triage import datasets, selfadapt, training  # noqa: E402
from rapport.triage.classifier import DefaultClassifier  # noqa: E402
from rapport.triage.dedupe import Entry, MemoryIndex  # noqa: E402
from rapport.triage.types import TriageInput  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def as_workspace(items: list[TriageInput], order: list[int]) -> tuple[list[TriageInput], list[int]]:
    """The items in arrival order, each with what the duplicate index says about it."""
    index = MemoryIndex()
    authors: dict[str, int] = {}
    out = []
    for position, i in enumerate(order):
        item = items[i]
        author = authors.setdefault(item.author_key, len(authors) + 1)
        seen = index.check_and_add(
            Entry(position, author, T0 + timedelta(minutes=position), item.text)
        )
        out.append(dataclasses.replace(item, seen_before=seen))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "youtube_spam")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "triage")
    parser.add_argument("--no-corpus", action="store_true", help="train on YouTube only")
    parser.add_argument("--order", choices=("arrival", "random"), default="arrival")
    parser.add_argument(
        "--no-adapt", action="store_true", help="base model only, no self-adaptation"
    )
    parser.add_argument(
        "--no-neighbours",
        action="store_true",
        help="self-adapted weights without the neighbourhood",
    )
    parser.add_argument("--seed", type=int, default=0, help="for --order random")
    args = parser.parse_args()

    videos = datasets.youtube_videos(args.data)
    names = sorted(p.stem for p in args.data.glob("Youtube0*.csv"))
    corpus = [] if args.no_corpus else datasets.corpus(args.corpus)
    care = ROOT.parent / "shared" / "data" / "customer_care" / "dev.json"
    if corpus and care.is_file():  # as the shipped model: plus the customer-care training half
        corpus += datasets.customer_care(care, part="train")
    scores = []
    duplicates: list[int] = []
    print(f"{'held-out video':<22} {'n':>4} {'prec':>6} {'rec':>6} {'F1':>6} {'acc':>6} {'MCC':>6}")
    started = time.perf_counter()
    for k, held_out in enumerate(videos):
        train = [x for j, video in enumerate(videos) if j != k for x in video]
        model = training.fit(spam=train, corpus=corpus)
        items = [i for i, _ in held_out]
        if args.order == "random":
            order = list(range(len(items)))
            random.Random(args.seed * 10 + k).shuffle(order)
        else:
            order = datasets.arrival_order(items)
        inputs = as_workspace(items, order)
        classifier = DefaultClassifier(model)
        if not args.no_adapt:  # as `rapport triage adapt` + `run --all`: no labels used
            delta = selfadapt.fit(model, inputs)
            if args.no_neighbours:
                delta = dataclasses.replace(delta, neighbours=None)
            classifier = delta.classifier(model)
        decisions = classifier.classify_batch(inputs)
        y = np.array([held_out[i][1] for i in order])
        pred = np.array([d.label == "spam" for d in decisions])
        duplicates.append(sum(d.is_duplicate for d in decisions))
        row = (
            precision_score(y, pred),
            recall_score(y, pred),
            f1_score(y, pred),
            accuracy_score(y, pred),
            matthews_corrcoef(y, pred),
        )
        scores.append(row)
        print(f"{names[k]:<22} {len(y):>4} " + " ".join(f"{v:6.3f}" for v in row), flush=True)
    mean = np.mean(scores, axis=0)
    print(f"{'mean':<22} {'':>4} " + " ".join(f"{v:6.3f}" for v in mean))
    print(
        f"spam F1 (mean of folds): {mean[2]:.4f}  target >= 0.97  "
        f"({'corpus + ' if corpus else ''}4 videos per fold; {args.order} order; "
        f"{'base model' if args.no_adapt else 'self-adapted to each held-out video'}"
        f"{'' if args.no_adapt or args.no_neighbours else ' with its neighbourhood'}; "
        f"{sum(duplicates)} comments flagged duplicate; {time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
