"""X / Twitter archives: tweets.js parts, string ids, own threads, retweets skipped."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rapport.channels.importing import run_import
from rapport.errors import ImportFormatError
from rapport.inbox.models import Item, ItemState
from rapport.people.models import Person
from rapport.publish.models import Post

ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "x" / "archive"
ID = "17000000000000000"

pytestmark = pytest.mark.django_db


def _import(workspace, path):
    return run_import(workspace=workspace, kind="x", path=path, enqueue_triage=False)


def _zip(tmp_path: Path, *, tweets: bytes | None = None) -> Path:
    path = tmp_path / "twitter-2024-03-05-abc.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in sorted((ARCHIVE / "data").iterdir()):
            data = member.read_bytes()
            if member.name == "tweets.js" and tweets is not None:
                data = tweets
            zf.writestr(f"data/{member.name}", data)
        zf.writestr("data/tweets_media/1-x.jpg", b"\xff\xd8 not really a jpeg")
    return path


def test_folder_archive_imports_tweets_and_replies_from_every_part(workspace):
    summary = _import(workspace, ARCHIVE)
    assert summary.source == "x:1234567890"
    assert (summary.posts_created, summary.items_created) == (1, 3)
    assert summary.skipped == {
        "a retweet of another account's post": 1,
        "a tweet without an id": 1,
    }


def test_tco_links_are_expanded_and_entities_unescaped(workspace):
    _import(workspace, ARCHIVE)
    post = Post.objects.get(source_id=ID + "01")
    assert post.text == "New rye loaf & more: read https://blog.acme-bakery.example/rye"
    assert post.url == "https://x.com/AcmeBakery/status/" + ID + "01"


def test_own_thread_across_parts(workspace):
    _import(workspace, ARCHIVE)
    second, third = Item.objects.get(source_id=ID + "03"), Item.objects.get(source_id=ID + "04")
    assert second.post == Post.objects.get(source_id=ID + "01") and second.parent is None
    assert third.parent == second and third.post == second.post


def test_reply_to_others_is_own_keeps_address_and_is_escaped(workspace):
    _import(workspace, ARCHIVE)
    reply = Item.objects.get(source_id=ID + "02")
    assert reply.is_own and reply.state == ItemState.DONE
    assert reply.signals == {"in_reply_to": "https://x.com/ben/status/1699999999999999999"}
    assert "<script>" not in reply.html and "&lt;script&gt;" in reply.html
    assert Person.objects.get().is_self


def test_zip_and_folder_are_the_same_archive(workspace, tmp_path):
    _import(workspace, ARCHIVE)
    again = _import(workspace, _zip(tmp_path))
    assert (again.items_created, again.posts_created, again.already_present) == (0, 0, 4)


def test_bare_tweets_js_without_semicolon_or_prefix(workspace, tmp_path):
    path = tmp_path / "tweets.js"
    text = (ARCHIVE / "data" / "tweets.js").read_text()
    path.write_text(text.split("=", 1)[1])
    summary = _import(workspace, path)
    assert summary.posts_created == 1 and summary.items_created == 2


def test_truncated_tweets_change_nothing(workspace, tmp_path):
    data = (ARCHIVE / "data" / "tweets.js").read_bytes()
    with pytest.raises(ImportFormatError, match=r"data/tweets\.js in the archive near byte"):
        _import(workspace, _zip(tmp_path, tweets=data[: len(data) // 2]))
    assert not Item.objects.exists() and not Post.objects.exists()


def test_not_an_archive_file_is_refused(workspace, tmp_path):
    path = tmp_path / "tweets.js"
    path.write_text("alert('hello')")
    with pytest.raises(ImportFormatError, match="not an X archive file"):
        _import(workspace, path)


def test_archive_without_tweets_is_refused(workspace, tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data/account.js", "window.YTD.account.part0 = []")
    with pytest.raises(ImportFormatError, match=r"no data/tweets\.js"):
        _import(workspace, path)
