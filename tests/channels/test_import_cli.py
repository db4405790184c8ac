"""``rapport import KIND PATH --workspace SLUG``: exit codes, messages, summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rapport.cli import build_cli
from rapport.inbox.models import Item

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"


def _run(*args: str):
    return CliRunner().invoke(build_cli(), ["import", *args], catch_exceptions=False)


def test_every_registered_importer_has_a_subcommand():
    from rapport.channels.registry import importer_classes

    result = _run("--help")
    assert result.exit_code == 0
    for kind in importer_classes():
        assert kind in result.output


@pytest.mark.django_db
def test_import_prints_summary_and_triages(workspace):
    result = _run("wxr", str(FIXTURES / "blog.xml"), "--workspace", workspace.slug)
    assert result.exit_code == 0, result.output
    assert "comments:        8 new" in result.output
    assert "posts:           3 new" in result.output
    assert "pingback or trackback" in result.output
    assert "Triage labelled" in result.output
    assert not Item.objects.filter(is_own=False, label="").exists()


@pytest.mark.django_db
def test_no_triage_leaves_items_unlabelled(workspace):
    result = _run("wxr", str(FIXTURES / "blog.xml"), "--workspace", workspace.slug, "--no-triage")
    assert result.exit_code == 0, result.output
    assert "Triage" not in result.output
    assert Item.objects.filter(label="").count() == 8


@pytest.mark.django_db
def test_second_import_reports_already_present(workspace):
    _run("wxr", str(FIXTURES / "blog.xml"), "--workspace", workspace.slug, "--no-triage")
    result = _run("wxr", str(FIXTURES / "blog.xml"), "--workspace", workspace.slug, "--no-triage")
    assert "comments:        0 new" in result.output
    assert "already present: 11" in result.output


@pytest.mark.django_db
def test_bad_file_exits_1_naming_file_and_line(workspace):
    result = _run("wxr", str(FIXTURES / "truncated.xml"), "--workspace", workspace.slug)
    assert result.exit_code == 1
    assert "truncated.xml, line" in result.output
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_unknown_workspace_exits_2(workspace):
    result = _run("wxr", str(FIXTURES / "blog.xml"), "--workspace", "nope")
    assert result.exit_code == 2
    assert "no workspace with slug 'nope'" in result.output


@pytest.mark.django_db
def test_missing_path_exits_2(workspace):
    result = _run("wxr", str(FIXTURES / "absent.xml"), "--workspace", workspace.slug)
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_unknown_format_exits_2():
    result = _run("myspace", "x.xml", "--workspace", "acme")
    assert result.exit_code == 2
