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
