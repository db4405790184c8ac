"""``rapport triage`` through click's CliRunner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rapport.cli import build_cli

pytestmark = pytest.mark.django_db


def test_run_triages_and_prints_counts_per_label(workspace, make_item):
    make_item("Do you have gluten-free bread?")
    make_item("Thanks!")
    result = CliRunner().invoke(build_cli(), ["triage", "run", "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert "2 items triaged" in result.output
    assert "needs_reply" in result.output and "appreciation" in result.output


def test_run_with_unknown_workspace_exits_2(db):
    result = CliRunner().invoke(build_cli(), ["triage", "run", "--workspace", "nope"])
    assert result.exit_code == 2
    assert "no workspace" in result.output


def test_eval_prints_per_class_scores_and_a_confusion_matrix(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text(
        '{"text": "Do you ship to Spain?", "label": "needs_reply"}\n'
        '{"text": "Thank you!", "label": "appreciation"}\n'
        '{"text": "Subscribe to my channel http://bit.ly/x", "label": "spam", "parent_text": "A post"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(build_cli(), ["triage", "eval", str(path)])
    assert result.exit_code == 0, result.output
    assert "precision" in result.output and "confusion" in result.output
    assert "needs_reply" in result.output


def test_eval_reads_csv(tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("text,label\nWhen do you open?,needs_reply\n", encoding="utf-8")
    result = CliRunner().invoke(build_cli(), ["triage", "eval", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 records" in result.output


def test_eval_with_an_unknown_label_exits_2(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "hi", "label": "urgent"}\n', encoding="utf-8")
    result = CliRunner().invoke(build_cli(), ["triage", "eval", str(path)])
    assert result.exit_code == 2
    assert "urgent" in result.output


def test_train_for_a_workspace_without_corrections_changes_nothing(workspace):
    result = CliRunner().invoke(build_cli(), ["triage", "train", "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert "Nothing changed" in result.output


def test_train_writes_a_loadable_base_model(tmp_path, monkeypatch):
    import rapport.triage.training as training
    from rapport.triage.model import load

    monkeypatch.setattr(training, "SPAM_C", 1.0)
    out = tmp_path / "model.npz"
    result = CliRunner().invoke(build_cli(), ["triage", "train", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load(out).version.startswith("default-v1")
