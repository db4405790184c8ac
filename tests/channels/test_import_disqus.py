"""Disqus XML imports: threads become posts, replies nest, spam is a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.accounts.services import create_user
from rapport.channels.importing import run_import
from rapport.errors import ImportFormatError
from rapport.inbox.models import Item, ItemState
from rapport.people.models import Identity
from rapport.publish.models import Post

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FORUM = FIXTURES / "disqus" / "forum.xml"

pytestmark = pytest.mark.django_db


def _import(workspace, path=FORUM):
    return run_import(workspace=workspace, kind="disqus", path=path, enqueue_triage=False)


def _item(sid: str) -> Item:
    return Item.objects.get(source_id=sid)


def test_import_creates_commented_threads_and_posts(workspace):
    summary = _import(workspace)
    assert summary.source == "disqus:acmebakery"
    assert (summary.posts_created, summary.items_created) == (1, 5)
    post = Post.objects.get()
    assert post.title == "Sourdough for beginners" and post.source_id == "5001"
    assert _item("9001").post == post
    assert _item("9001").url.endswith("/sourdough-for-beginners/#comment-9001")


def test_replies_nest_even_when_listed_before_their_parent(workspace):
    _import(workspace)
    question, answer, thanks = _item("9001"), _item("9002"), _item("9003")
    assert answer.parent == question and thanks.parent == answer
    assert thanks.root == question and answer.root == question


def test_spam_and_deleted_are_hints(workspace):
    _import(workspace)
    assert _item("9004").signals == {"platform_spam": True}
    assert _item("9005").signals == {"platform_trash": True}
    assert _item("9004").state == ItemState.OPEN


def test_hostile_html_is_sanitised(workspace):
    _import(workspace)
    html = _item("9004").html
    assert "javascript" not in html and "<script" not in html and "onerror" not in html


def test_authors_are_identities_keyed_by_username(workspace):
    _import(workspace)
    ben = Identity.objects.get(platform="disqus", key="user:benmiller")
    assert ben.email == "ben@example.org" and ben.items.count() == 2
    assert Identity.objects.filter(platform="disqus", key="carl@example.net").exists()


def test_member_email_marks_own(workspace):
    create_user(email="anna@acme-bakery.example", workspace=workspace, role="owner")
    _import(workspace)
    assert _item("9002").is_own and _item("9002").state == ItemState.DONE
    assert _item("9002").author.person.is_self


def test_reimport_adds_nothing_twice(workspace):
    _import(workspace)
    again = _import(workspace)
    assert (again.items_created, again.posts_created, again.already_present) == (0, 0, 6)
    assert Item.objects.count() == 5


def test_truncated_file_changes_nothing(workspace):
    with pytest.raises(ImportFormatError, match=r"truncated\.xml, line \d+"):
        _import(workspace, FIXTURES / "disqus" / "truncated.xml")
    assert not Item.objects.exists() and not Post.objects.exists()


def test_wxr_file_is_refused(workspace):
    with pytest.raises(ImportFormatError, match="not a Disqus export"):
        _import(workspace, FIXTURES / "wxr" / "blog.xml")
