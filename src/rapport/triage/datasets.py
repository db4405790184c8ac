"""Reading labelled data: the team's corpus, the YouTube Spam Collection, eval files.

Everything becomes ``(TriageInput, label)`` pairs. Labelled files for
``rapport triage eval`` are JSONL (one object a line), CSV or TSV with the
columns ``text``, ``label`` and optionally ``parent_text``.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from rapport.errors import ValidationError
from rapport.triage.types import LABELS, TriageInput

Example = tuple[TriageInput, str]

# The post each YouTube comment answers: the video's title and address (from the
# collection's documentation), so the model sees comments in context as in the desk.
YOUTUBE_VIDEOS: dict[str, str] = {
    "Youtube01-Psy.csv": "PSY - GANGNAM STYLE (강남스타일) M/V https://www.youtube.com/watch?v=9bZkp7q19f0",
    "Youtube02-KatyPerry.csv": "Katy Perry - Roar (Official) https://www.youtube.com/watch?v=CevxZvSJLk8",
    "Youtube03-LMFAO.csv": "LMFAO - Party Rock Anthem ft. Lauren Bennett, GoonRock https://www.youtube.com/watch?v=KQ6zr6kCPj8",
    "Youtube04-Eminem.csv": "Eminem - Love The Way You Lie ft. Rihanna https://www.youtube.com/watch?v=uelHwf8o7_U",
    "Youtube05-Shakira.csv": "Shakira - Waka Waka (This Time for Africa) (The Official 2010 FIFA World Cup Song) https://www.youtube.com/watch?v=pRpeEdMmmQ0",
}


def youtube_video(path: Path) -> list[tuple[TriageInput, bool]]:
    """One video's comments with spam (True) or not (False)."""
    parent = YOUTUBE_VIDEOS.get(path.name, "")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    label_key = "label" if rows and "label" in rows[0] else "CLASS"
    return [
        (
            TriageInput(
                key=row["COMMENT_ID"],
                text=row["CONTENT"],
                parent_text=parent,
                author_key=row["AUTHOR"],
                created_at=_date(row.get("DATE", "")),
            ),
            row[label_key].strip() == "1",
        )
        for row in rows
    ]


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def arrival_order(items: Sequence[TriageInput]) -> list[int]:
    """Positions of one video's comments in the order they were posted.

    The files list comments newest first or oldest first, and some rows have no
    date (in Youtube04 exactly the spam rows, so a missing date must never
    decide an item's place). The order is the file's own, reversed when its
    dated rows run newest first; undated rows keep their place in the file.
    """
    dated = [i.created_at for i in items if i.created_at is not None]
    newest_first = sum(a > b for a, b in itertools.pairwise(dated)) > len(dated) // 2
    order = list(range(len(items)))
    return order[::-1] if newest_first else order


def youtube_videos(directory: Path) -> list[list[tuple[TriageInput, bool]]]:
    files = sorted(directory.glob("Youtube0*.csv"))
    if not files:
        raise ValidationError(f"no Youtube0*.csv files in {directory}")
    return [youtube_video(f) for f in files]


def corpus(directory: Path) -> list[Example]:
    """The team's corpus: ``corpus_*.tsv`` with label, language, text[, parent_text]."""
    out: list[Example] = []
    for path in sorted(directory.glob("corpus_*.tsv")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3 or parts[0] not in LABELS:
                raise ValidationError(f"{path}, line {n}: expected label<TAB>lang<TAB>text")
            parent = parts[3] if len(parts) > 3 else ""
            out.append(
                (TriageInput(key=f"{path.name}:{n}", text=parts[2], parent_text=parent), parts[0])
            )
    return out


def labelled_file(path: Path) -> list[Example]:
    """A JSONL, CSV or TSV file with text, label and optional parent_text."""
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    rows: Iterator[dict[str, str]]
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix in {".jsonl", ".json", ".ndjson"}:
            rows = (json.loads(line) for line in fh if line.strip())
        else:
            rows = csv.DictReader(fh, delimiter="\t" if path.suffix == ".tsv" else ",")
        out: list[Example] = []
        try:
            for n, row in enumerate(rows, 1):
                if not isinstance(row, dict):
                    raise ValidationError(f"{path}, record {n}: expected an object")
                label = str(row.get("label", "")).strip()
                if label not in LABELS:
                    raise ValidationError(
                        f"{path}, record {n}: label {label!r} is not one of {', '.join(LABELS)}"
                    )
                text = str(row.get("text") or "")
                parent = str(row.get("parent_text") or "")
                out.append((TriageInput(key=n, text=text, parent_text=parent), label))
        except (json.JSONDecodeError, csv.Error, UnicodeDecodeError) as exc:
            raise ValidationError(f"{path}: cannot read it ({exc})") from exc
    return out


def customer_care(path: Path, *, part: str) -> list[Example]:
    """First turns of the customer-care conversations, all ``needs_reply``.

    Split by company (sorted names, every other one) so that ``part="train"``
    and ``part="test"`` never share a company: the model is measured on
    companies, products and writing it never saw.
    """
    conversations = json.loads(path.read_text(encoding="utf-8"))
    companies = sorted({c["dialogHeader"]["company"] for c in conversations})
    train = set(companies[::2])
    return [
        (
            TriageInput(key=c["dialogHeader"]["sessionID"], text=c["dialogContent"][0]["message"]),
            "needs_reply",
        )
        for c in conversations
        if (c["dialogHeader"]["company"] in train) == (part == "train")
    ]
