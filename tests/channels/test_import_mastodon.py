"""Mastodon account exports: own posts and replies, repeated keys, any container."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from rapport.channels.importing import run_import
from rapport.errors import ImportFormatError
from rapport.inbox.models import Item, ItemState
from rapport.people.models import Person
from rapport.publish.models import Post

EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon" / "export"
STATUS = "https://social.example/users/acmebakery/statuses/"

pytestmark = pytest.mark.django_db


def _import(workspace, path):
    return run_import(workspace=workspace, kind="mastodon", path=path, enqueue_triage=False)


def _tar_gz(tmp_path: Path, *, outbox: bytes | None = None, name="archive.tar.gz") -> Path:
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        for member in ("actor.json", "outbox.json"):
            data = (EXPORT / member).read_bytes()
            if member == "outbox.json" and outbox is not None:
                data = outbox
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        media = b"\x89PNG fake image"
        info = tarfile.TarInfo("media_attachments/files/1/original/x.png")
        info.size = len(media)
        tar.addfile(info, io.BytesIO(media))
    return path


def test_folder_export_imports_posts_and_own_replies(workspace):
    summary = _import(workspace, EXPORT)
    assert summary.source == "mastodon:acmebakery@social.example"
    assert summary.posts_created == 1
    assert summary.items_created == 4  # three replies and one direct message
    assert summary.skipped == {
        "a boost of another account's post": 1,
        "a post without a valid date": 1,
    }


def test_repeated_ordered_items_keys_are_all_read(workspace):
    assert json.loads((EXPORT / "outbox.json").read_text())["orderedItems"][0]["id"].endswith(
        "102/activity"
    )  # json.load alone would lose the first list
    _import(workspace, EXPORT)
    assert Post.objects.filter(source_id=STATUS + "100").exists()
    assert Item.objects.filter(source_id=STATUS + "101").exists()


def test_own_thread_hangs_on_the_post(workspace):
    _import(workspace, EXPORT)
    post = Post.objects.get(source_id=STATUS + "100")
    second = Item.objects.get(source_id=STATUS + "102")
    third = Item.objects.get(source_id=STATUS + "103")
    assert second.post == post and second.parent is None
    assert third.parent == second and third.root == second and third.post == post


def test_everything_is_own_and_done(workspace):
    _import(workspace, EXPORT)
    assert set(Item.objects.values_list("is_own", "state")) == {(True, ItemState.DONE)}
    person = Person.objects.get()
    assert person.is_self and person.display_name == "Acme Bakery"
    assert person.identities.get().key == "acmebakery@social.example"


def test_reply_to_someone_else_keeps_the_address(workspace):
    _import(workspace, EXPORT)
    reply = Item.objects.get(source_id=STATUS + "101")
    assert reply.kind == "reply"
    assert reply.signals == {"in_reply_to": "https://other.example/users/ben/statuses/555"}
    assert "<script" not in reply.html and "Yes, it is wheat-free." in reply.text


def test_direct_message_is_a_message(workspace):
    _import(workspace, EXPORT)
    assert Item.objects.get(source_id=STATUS + "104").kind == "message"


def test_tar_gz_and_zip_and_bare_outbox_give_the_same_rows(workspace, tmp_path):
    first = _import(workspace, _tar_gz(tmp_path))
    assert (first.posts_created, first.items_created) == (1, 4)
    again = _import(workspace, _tar_gz(tmp_path, name="again.tgz"))
    assert (again.posts_created, again.items_created, again.already_present) == (0, 0, 5)
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(EXPORT / "outbox.json", "outbox.json")
        zf.write(EXPORT / "actor.json", "actor.json")
    assert _import(workspace, zipped).already_present == 5
    bare = _import(workspace, EXPORT / "outbox.json")
    assert bare.source == "mastodon:acmebakery@social.example"  # owner from the activities
    assert bare.already_present == 5


def test_truncated_archive_changes_nothing(workspace, tmp_path):
    good = _tar_gz(tmp_path).read_bytes()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(good[: len(good) // 2])
    with pytest.raises(ImportFormatError, match=r"broken\.tar\.gz"):
        _import(workspace, broken)
    assert not Item.objects.exists() and not Post.objects.exists()


def test_truncated_outbox_changes_nothing(workspace, tmp_path):
    text = (EXPORT / "outbox.json").read_bytes()
    with pytest.raises(ImportFormatError, match=r"truncated JSON .* near byte"):
        _import(workspace, _tar_gz(tmp_path, outbox=text[: int(len(text) * 0.8)]))
    assert not Item.objects.exists() and not Post.objects.exists()


def test_other_json_is_refused(workspace, tmp_path):
    path = tmp_path / "outbox.json"
    path.write_text('{"hello": [1, 2, 3]}')
    with pytest.raises(ImportFormatError, match="has no 'orderedItems' list"):
        _import(workspace, path)


def test_missing_outbox_is_named(workspace, tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("likes.json", "{}")
    with pytest.raises(ImportFormatError, match=r"no outbox\.json"):
        _import(workspace, path)


def test_null_and_non_text_fields_fall_back_to_defaults(workspace, tmp_path):
    """A hostile outbox: ``null``, numbers and lists where text belongs are read as absent."""
    public = ["https://www.w3.org/ns/activitystreams#Public"]
    activities = [
        {
            "type": "Create",
            "id": f"{STATUS}901/activity",
            "actor": "https://social.example/users/acmebakery",
            "published": "2024-03-01T12:00:00Z",
            "object": {
                "id": f"{STATUS}901",
                "content": None,
                "url": None,
                "summary": None,
                "inReplyTo": None,
                "to": public,
            },
        },
        {
            "type": "Create",
            "id": f"{STATUS}902/activity",
            "actor": "https://social.example/users/acmebakery",
            "published": "2024-03-01T12:05:00Z",
            "object": {
                "id": f"{STATUS}902",
                "content": 5,
                "url": ["https://social.example/@acmebakery/902"],
                "summary": {"text": "cw"},
                "inReplyTo": "https://other.example/statuses/1",
                "to": public,
            },
        },
    ]
    path = tmp_path / "outbox.json"
    path.write_text(json.dumps({"orderedItems": activities}))
    summary = _import(workspace, path)
    assert (summary.posts_created, summary.items_created, summary.skipped) == (1, 1, {})
    post = Post.objects.get(source_id=f"{STATUS}901")
    assert (post.title, post.body, post.url) == ("", "", f"{STATUS}901")
    item = Item.objects.get()
    assert (item.html, item.url) == ("", f"{STATUS}902")
    assert item.signals["in_reply_to"] == "https://other.example/statuses/1"
