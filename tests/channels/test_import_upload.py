"""The import page: upload a file, get the inbox with a summary, or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rapport.accounts.services import create_user
from rapport.inbox.models import Item

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"


def _upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else (FIXTURES / name).read_bytes())


@pytest.fixture
def url(workspace) -> str:
    return reverse("imports:index", args=[workspace.slug])


@pytest.fixture
def uploads(settings) -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def test_page_offers_formats_and_a_file_field(owner_client, url):
    page = owner_client.get(url).content.decode()
    assert '<select name="kind"' in page and 'value="wxr"' in page
    assert '<input type="file" name="file"' in page
    assert ">Import</button>" in page


def test_upload_imports_and_redirects_to_inbox(owner_client, url, workspace, uploads):
    before = set(uploads.glob("*")) if uploads.exists() else set()
    response = owner_client.post(url, {"kind": "wxr", "file": _upload("blog.xml")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("inbox:index", args=[workspace.slug])
    assert "Imported 8 comments and 3 posts" in response.content.decode()
    assert Item.objects.filter(workspace=workspace).count() == 8
    assert not Item.objects.filter(is_own=False, label="").exists()  # triaged before the redirect
    assert set(uploads.glob("*")) == before  # the uploaded copy is gone


def test_bad_upload_shows_error_with_name_and_line_and_writes_nothing(owner_client, url):
    response = owner_client.post(url, {"kind": "wxr", "file": _upload("truncated.xml")})
    assert response.status_code == 400
    page = response.content.decode()
    assert "truncated.xml, line" in page and "truncated" in page
    assert not Item.objects.exists()


def test_hostile_file_name_is_escaped(owner_client, url):
    response = owner_client.post(
        url, {"kind": "wxr", "file": _upload("<img src=x onerror=alert(1)>.xml", b"junk")}
    )
    assert response.status_code == 400
    assert "<img src=x" not in response.content.decode()


def test_unknown_format_is_refused(owner_client, url):
    response = owner_client.post(url, {"kind": "myspace", "file": _upload("blog.xml")})
    assert "Choose one of the formats" in response.content.decode()
    assert not Item.objects.exists()


def test_missing_file_is_refused(owner_client, url):
    response = owner_client.post(url, {"kind": "wxr"})
    assert "Choose a file" in response.content.decode()


def test_viewer_cannot_import(client, workspace, url):
    viewer, _ = create_user(email="v@example.com", workspace=workspace, role="viewer")
    client.force_login(viewer)
    response = client.post(url, {"kind": "wxr", "file": _upload("blog.xml")})
    assert response.status_code == 403
    assert not Item.objects.exists()


def test_csrf_is_still_checked(owner, workspace, url):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(url, {"kind": "wxr", "file": _upload("blog.xml")})
    assert response.status_code == 403
    assert not Item.objects.exists()


def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
