"""Rapport's triage and Apache SpamAssassin side by side on the YouTube Spam Collection.

Both see the same 1,956 comments. Rapport: leave-one-video-out (the model that
scores a video never saw it), run as bench/triage_youtube.py runs it (arrival
order, duplicate index, self-adapted to the video's text with its neighbourhood;
its items/s include the adaptation). SpamAssassin: the Debian package's stock rules
(no network tests, no Bayes training), each comment wrapped as an RFC 822
message and scored with ``spamc`` against a local ``spamd`` on 127.0.0.1,
which this script starts if none is listening. Prints spam F1 and items/s for
each (SpamAssassin's items/s includes the spamc round trip, as in production).

Needs ``apt-get install -y spamassassin spamc``.

    python bench/triage_vs_spamassassin.py [--port 17830] [--limit N]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rapport.triage import datasets, selfadapt, training  # noqa: E402
from rapport.triage.types import TriageInput  # noqa: E402
from triage_youtube import as_workspace  # noqa: E402  (bench/ is on sys.path when run)


def as_message(item: TriageInput, video: str) -> bytes:
    msg = EmailMessage()
    author = "".join(ch for ch in item.author_key if ch.isalnum())[:40] or "viewer"
    msg["From"] = f"{author} <{author.lower()}@comments.youtube.invalid>"
    msg["To"] = "owner@rapport.invalid"
    msg["Subject"] = f"New comment on {video}"
    msg["Date"] = format_datetime(datetime(2015, 5, 1, 12, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<{abs(hash(item.key))}@comments.youtube.invalid>"
    msg.set_content(item.text or " ", charset="utf-8")
    return bytes(msg)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ensure_spamd(port: int) -> subprocess.Popen[bytes] | None:
    if port_open(port):
        return None
    if not shutil.which("spamd") or not shutil.which("spamc"):
        sys.exit("spamd/spamc not found: apt-get install -y spamassassin spamc")
    proc = subprocess.Popen(
        [
            "spamd",
            "--listen",
            f"127.0.0.1:{port}",
            "--local",
            "--max-children",
            "2",
            "--username",
            "nobody",
            "--syslog",
            "stderr",
            "--pidfile",
            f"/tmp/spamd-{port}.pid",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        if port_open(port):
            return proc
        time.sleep(0.5)
    proc.kill()
    sys.exit("spamd did not start listening in 60 s")


def spamassassin(items: list[tuple[TriageInput, str]], port: int) -> tuple[list[float], float]:
    """SpamAssassin's score for each item (``spamc -c`` prints ``score/threshold``)."""
    scores = []
    started = time.perf_counter()
    for item, video in items:
        out = subprocess.run(
            ["spamc", "-d", "127.0.0.1", "-p", str(port), "-c"],
            input=as_message(item, video),
            capture_output=True,
            check=False,
        )
        score, _, _threshold = out.stdout.decode().strip().partition("/")
        try:
            scores.append(float(score))
        except ValueError:
            sys.exit(f"spamc gave no score (exit {out.returncode}): {out.stdout!r} {out.stderr!r}")
    return scores, len(items) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=17830)
    parser.add_argument("--limit", type=int, default=0, help="items per video (0: all)")
    args = parser.parse_args()
    data_dir = ROOT / "data" / "youtube_spam"
    names = sorted(p.name for p in data_dir.glob("Youtube0*.csv"))
    videos = datasets.youtube_videos(data_dir)
    if args.limit:
        videos = [v[: args.limit] for v in videos]
    corpus = datasets.corpus(ROOT / "data" / "triage")
    cc = ROOT.parent / "shared" / "data" / "customer_care" / "dev.json"
    if cc.is_file():
        corpus += datasets.customer_care(cc, part="train")

    truth: list[bool] = []
    ours: list[bool] = []
    ours_seconds = 0.0
    for k, held_out in enumerate(videos):
        # as bench/triage_youtube.py: the held-out video is a workspace, in arrival order,
        # with the duplicate index, and the fold model self-adapted to its text (no labels)
        # with its neighbourhood
        train = [x for j, v in enumerate(videos) if j != k for x in v]
        model = training.fit(spam=train, corpus=corpus)
        items = [i for i, _ in held_out]
        order = datasets.arrival_order(items)
        inputs = as_workspace(items, order)
        started = time.perf_counter()
        decisions = selfadapt.fit(model, inputs).classifier(model).classify_batch(inputs)
        ours_seconds += time.perf_counter() - started
        spam = [False] * len(items)  # back in file order, as SpamAssassin sees them
        for position, decision in zip(order, decisions, strict=True):
            spam[position] = decision.label == "spam"
        ours += spam
        truth += [s for _, s in held_out]

    spamd = ensure_spamd(args.port)
    try:
        sa_scores, sa_rate = spamassassin(
            [
                (i, datasets.YOUTUBE_VIDEOS.get(names[k], names[k]).split(" http")[0])
                for k, v in enumerate(videos)
                for i, _ in v
            ],
            args.port,
        )
    finally:
        if spamd is not None:
            spamd.terminate()
            spamd.wait(timeout=20)
    y = np.array(truth)
    scores = np.array(sa_scores)
    sa = scores >= 5.0
    cuts = np.unique(scores)
    best = max(cuts, key=lambda c: f1_score(y, scores >= c, zero_division=0))
    print(f"{len(y)} comments, {int(y.sum())} spam")
    print(f"{'system':<38}{'precision':>10}{'recall':>8}{'F1':>8}{'items/s':>10}")
    for name, pred, rate in (
        ("Rapport triage (leave-one-video-out)", ours, len(y) / ours_seconds),
        ("SpamAssassin, stock threshold 5.0", sa, sa_rate),
        (f"SpamAssassin, best threshold {best:g} *", scores >= best, sa_rate),
    ):
        p = np.array(pred)
        print(
            f"{name:<38}{precision_score(y, p, zero_division=0):>10.3f}"
            f"{recall_score(y, p, zero_division=0):>8.3f}"
            f"{f1_score(y, p, zero_division=0):>8.3f}{rate:>10,.0f}"
        )
    print("* threshold chosen on these same items: an upper bound for SpamAssassin")


if __name__ == "__main__":
    main()
