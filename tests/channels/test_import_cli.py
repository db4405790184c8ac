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


@pytest.mark.django_db
def test_cli_import_is_an_import_job_listed_on_the_page(workspace):
    from rapport.channels.models import ImportJob

    _run("wxr", str(FIXTURES / "blog.xml"), "--workspace", workspace.slug, "--no-triage")
    _run("wxr", str(FIXTURES / "truncated.xml"), "--workspace", workspace.slug)
    done, failed = ImportJob.objects.order_by("pk")
    assert (done.via, done.file_name, done.state, done.items_created) == (
        "cli",
        "blog.xml",
        "done",
        8,
    )
    assert done.upload == "" and (FIXTURES / "blog.xml").exists()  # the user's file is kept
    assert failed.state == "failed" and failed.error.startswith("truncated.xml, line")


@pytest.mark.django_db
def test_archive_being_imported_elsewhere_exits_1_with_the_reason(workspace):
    from django.utils import timezone

    from rapport.channels import import_progress
    from rapport.channels.models import ImportJob

    running = ImportJob.objects.create(
        workspace=workspace, kind="wxr", file_name="blog.xml", state="running", via="web",
        source="wxr:blog.acme-bakery.example", runner=import_progress.runner_id(),
        started_at=timezone.now(),
    )  # fmt: skip
    result = _run("wxr", str(FIXTURES / "blog.xml"), "--workspace", workspace.slug)
    assert result.exit_code == 1
    assert "an import of this archive into Acme Bakery is already running" in result.output
    assert not Item.objects.exists() and ImportJob.objects.get() == running
