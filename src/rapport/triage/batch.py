"""One batch: load the items, check duplicates, classify, store and mirror.

Kept apart from :mod:`services` so the batch step can be timed and tested on its
own. Post texts are loaded once per batch (many comments share one post).
"""

from __future__ import annotations

import json

from django.db import connection

from rapport.accounts.models import Workspace
from rapport.inbox.models import Item
from rapport.publish.models import Post
from rapport.triage.dedupe import Entry, check_and_index
from rapport.triage.models import DecisionSource, TriageDecision
from rapport.triage.registry import classifier_for
from rapport.triage.types import Decision, TriageInput

_FIELDS = ("id", "text", "is_own", "author_id", "created_at", "post_id", "signals", "language")


def triage_batch(*, workspace: Workspace, item_ids: list[int], only_changes: bool) -> int:
    """Classify ``item_ids`` and store the decisions; return how many were stored."""
    rows = list(Item.objects.filter(id__in=item_ids).values(*_FIELDS))
    post_ids = {r["post_id"] for r in rows if r["post_id"]}
    posts = dict(Post.objects.filter(id__in=post_ids).values_list("id", "text"))
    seen = check_and_index(
        workspace_id=workspace.id,
        entries=[
            Entry(r["id"], r["author_id"], r["created_at"], r["text"])
            for r in rows
            if not r["is_own"]
        ],
    )
    inputs = [
        TriageInput(
            key=r["id"],
            text=r["text"] or "",
            parent_text=posts.get(r["post_id"], "") or "",
            author_key=str(r["author_id"] or ""),
            created_at=r["created_at"],
            is_own=r["is_own"],
            platform_signals=r["signals"] or {},
            seen_before=seen.get(r["id"]),
        )
        for r in rows
    ]
    classifier = classifier_for(workspace_id=workspace.id)
    decisions = classifier.classify_batch(inputs)
    if only_changes:
        current = _latest(item_ids)
        decisions = [d for d in decisions if _changed(d, current.get(d.key))]
    _store(decisions, languages={r["id"]: r["language"] for r in rows})
    return len(decisions)


def _latest(item_ids: list[int]) -> dict[int, tuple[str, list[str], str]]:
    latest: dict[int, tuple[str, list[str], str]] = {}
    for item_id, label, flags, version in (
        TriageDecision.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "created_at", "id")
        .values_list("item_id", "label", "flags", "model_version")
    ):
        latest[item_id] = (label, list(flags or []), version)
    return latest


def _changed(decision: Decision, current: tuple[str, list[str], str] | None) -> bool:
    if current is None:
        return True
    return (decision.label, list(decision.flags), decision.model_version) != current


def _store(decisions: list[Decision], *, languages: dict[int, str]) -> None:
    if not decisions:
        return
    TriageDecision.objects.bulk_create(
        [
            TriageDecision(
                item_id=d.key,
                label=d.label,
                flags=list(d.flags),
                confidence=d.confidence,
                reasons=list(d.reasons),
                source=DecisionSource.RULE if d.source == "rule" else DecisionSource.MODEL,
                model_version=d.model_version,
            )
            for d in decisions
        ],
        batch_size=500,
    )
    _mirror(
        [
            (
                d.key,
                d.label,
                json.dumps(list(d.flags)),
                d.is_duplicate,
                d.confidence,
                (d.language or languages.get(d.key, ""))[:8],
            )
            for d in decisions
        ]
    )


def _mirror(rows: list[tuple[int, str, str, bool, float, str]]) -> None:
    """Mirror decisions on their items with one ``UPDATE ... FROM (VALUES ...)`` per chunk.

    Django's ``bulk_update`` builds a CASE expression per field and row, which
    cost more than everything else in a batch; this is plain SQL that both
    SQLite (3.33+) and PostgreSQL run.
    """
    table = connection.ops.quote_name(Item._meta.db_table)
    flags = "v.column3::jsonb" if connection.vendor == "postgresql" else "v.column3"
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        sql = (
            f"UPDATE {table} SET label = v.column2, flags = {flags}, is_duplicate = v.column4, "
            f"confidence = v.column5, language = v.column6 "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in chunk for value in row])
