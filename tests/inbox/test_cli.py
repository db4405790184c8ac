"""``rapport items export`` and ``rapport items list`` on a real imported WXR file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rapport.cli import build_cli
from rapport.inbox.models import Item

WXR = Path(__file__).resolve().parents[1] / "fixtures" / "wxr" / "blog.xml"
REQUIRED = {
    "source_id",
    "post_source_id",
    "author",
    "label",
    "flags",
    "confidence",
    "reasons",
    "state",
    "created_at",
}


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)


@pytest.fixture
def imported(workspace):  # type: ignore[no-untyped-def]
    result = run("import", "wxr", str(WXR), "--workspace", workspace.slug)
    assert result.exit_code == 0, result.output
    return workspace


def test_jsonl_export_has_one_record_per_item_with_the_platform_ids(imported):
    result = run("items", "export", "--workspace", imported.slug, "--format", "jsonl")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == Item.objects.filter(workspace=imported).count()
    assert all(record.keys() >= REQUIRED for record in records)
    by_id = {r["source_id"]: r for r in records}
    question = by_id["101"]  # the WXR comment_id
    assert question["author"] == "Ben Miller"
    assert question["post_source_id"] == "10"
    assert isinstance(question["flags"], list) and isinstance(question["reasons"], list)
    assert question["reasons"], "triage reasons of the latest decision"
    assert question["label"] == "needs_reply"
    assert question["created_at"].startswith("2024-03-02T10:00:00")
    assert by_id["102"]["parent_source_id"] == "101"


def test_csv_export_joins_flags_with_semicolons(imported, tmp_path):
    Item.objects.filter(workspace=imported, source_id="101").update(
        flags=["duplicate", "language:en"]
    )
    out = tmp_path / "items.csv"
    result = run(
        "items", "export", "--workspace", imported.slug, "--format", "csv", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert set(rows[0]) >= REQUIRED
    assert next(r for r in rows if r["source_id"] == "101")["flags"] == "duplicate;language:en"
    assert not list(tmp_path.glob(".*.part")), "no temporary file left behind"


def test_export_streams_from_an_iterator(imported):
    from rapport.inbox.selectors import export_records

    records = export_records(workspace=imported)
    assert iter(records) is records  # a generator, not a list held in memory
    assert next(records)["source_id"]


def test_export_of_an_unknown_workspace_exits_2(db):
    result = run("items", "export", "--workspace", "nope")
    assert result.exit_code == 2
    assert "no workspace" in result.output


def test_export_refuses_an_unknown_format(db):
    result = run("items", "export", "--workspace", "x", "--format", "xml")
    assert result.exit_code == 2


def test_items_list_shows_questions_longest_waiting_first(imported):
    result = run("items", "list", "--workspace", imported.slug, "--label", "needs_reply")
    assert result.exit_code == 0
    assert "Does the rye loaf contain any wheat" in result.output
    assert "How long should I wait" not in result.output  # the owner answered it in the blog
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert all("needs_reply" in line for line in lines)
