"""WordPress WXR imports: threads, own replies, platform hints, bad files, re-imports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rapport.channels.importing import run_import
from rapport.errors import ImportFormatError
from rapport.inbox.models import Item, ItemState
from rapport.people.models import Identity, Person
from rapport.publish.models import Post, PostStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"
BLOG = FIXTURES / "blog.xml"


def _import(workspace, path=BLOG, **kwargs):
    return run_import(workspace=workspace, kind="wxr", path=path, enqueue_triage=False, **kwargs)


def _item(source_id: str) -> Item:
    return Item.objects.get(source_id=source_id)


def _row_counts() -> tuple[int, int, int, int]:
    return (
        Item.objects.count(),
        Post.objects.count(),
        Identity.objects.count(),
        Person.objects.count(),
    )


@pytest.mark.django_db
def test_import_creates_posts_and_comments(workspace):
    summary = _import(workspace)
    assert summary.source == "wxr:blog.acme-bakery.example"
    assert summary.posts_created == 3  # two posts and the page; the attachment has no comments
    assert summary.items_created == 8
    assert summary.skipped == {"pingback or trackback (an automatic link notice)": 1}
    post = Post.objects.get(source_id="10")
    assert post.status == PostStatus.IMPORTED
    assert post.title == "Sourdough for beginners"
    assert "<script>" not in post.body and "Start your starter" in post.text
    assert not Post.objects.filter(source_id="3").exists()


@pytest.mark.django_db
def test_threads_follow_comment_parent(workspace):
    _import(workspace)
    question, answer, thanks = _item("101"), _item("102"), _item("103")
    assert question.parent is None and question.root is None
    assert answer.parent == question and answer.root == question
    assert thanks.parent == answer and thanks.root == question
    assert {question.post_id, answer.post_id, thanks.post_id} == {
        Post.objects.get(source_id="10").pk
    }
    assert answer.kind == "reply" and question.kind == "comment"
    assert question.url.endswith("/sourdough-for-beginners/#comment-101")


@pytest.mark.django_db
def test_reply_listed_before_its_parent_still_gets_it(workspace):
    summary = _import(workspace)
    early, parent = _item("202"), _item("201")
    assert early.parent == parent and early.root == parent
    assert early.post == parent.post
    assert summary.orphans == 0


@pytest.mark.django_db
def test_owner_reply_is_own_and_done(workspace):
    _import(workspace)
    answer = _item("102")
    assert answer.is_own and answer.state == ItemState.DONE
    assert answer.author.person.is_self
    question = _item("101")
    assert not question.is_own and question.state == ItemState.ANSWERED
    assert question.response_seconds == (answer.created_at - question.created_at).total_seconds()
    assert not question.author.person.is_self


@pytest.mark.django_db
def test_member_email_marks_comments_own(workspace):
    from rapport.accounts.services import create_user

    create_user(email="dora@example.net", workspace=workspace, role="editor")
    _import(workspace)
    assert _item("202").is_own
    assert _item("202").author.person.is_self


@pytest.mark.django_db
def test_platform_moderation_is_kept_as_a_signal_not_a_verdict(workspace):
    _import(workspace)
    spam = _item("104")
    assert spam.signals == {"platform_spam": True}
    assert spam.state == ItemState.OPEN and spam.label == ""
    assert _item("203").signals == {"platform_trash": True}
    assert _item("106").signals == {"platform_pending": True}
    assert _item("101").signals == {}


@pytest.mark.django_db
def test_hostile_html_is_sanitised(workspace):
    _import(workspace)
    hostile = _item("106")
    assert "<script" not in hostile.html and "onerror" not in hostile.html
    assert "javascript:" not in hostile.html and "onclick" not in hostile.html
    assert 'href="https://ok.example/"' in hostile.html
    assert "alert" not in hostile.text
    assert "javascript" not in _item("104").html


@pytest.mark.django_db
def test_authors_become_identities_of_people(workspace):
    _import(workspace)
    ben = Identity.objects.get(platform="wordpress", key="ben@example.org")
    assert ben.display_name == "Ben Miller" and ben.url == "https://ben.example.org"
    assert ben.items.count() == 2  # e-mail case does not split a person
    assert ben.person.interactions == 2
    assert ben.person.last_interaction_at.isoformat().startswith("2024-03-02T14:00")


@pytest.mark.django_db
def test_zero_gmt_date_falls_back_to_local_date(workspace):
    _import(workspace)
    assert _item("103").created_at.isoformat().startswith("2024-03-02T14:00")


@pytest.mark.django_db
def test_plain_text_comments_keep_paragraphs(workspace):
    _import(workspace)
    question = _item("101")
    assert question.html.startswith("<p>How long") and question.html.count("<p>") == 2
    assert "nail polish & I am worried" in question.text


@pytest.mark.django_db
def test_reimport_adds_nothing_twice(workspace):
    _import(workspace)
    before = _row_counts()
    interactions = sorted(Person.objects.values_list("interactions", flat=True))
    again = _import(workspace)
    assert (again.items_created, again.posts_created) == (0, 0)
    assert again.already_present == 11
    assert _row_counts() == before
    assert sorted(Person.objects.values_list("interactions", flat=True)) == interactions


@pytest.mark.django_db
def test_https_namespace_and_older_versions_are_accepted(workspace):
    summary = _import(workspace, FIXTURES / "blog_https.xml")
    assert summary.source == "wxr:www.acme-bakery.example"
    assert summary.items_created == 8


@pytest.mark.django_db
def test_two_blogs_do_not_collide(workspace):
    _import(workspace)
    _import(workspace, FIXTURES / "blog_https.xml")
    assert Item.objects.count() == 16
    assert Identity.objects.filter(key="ben@example.org").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.xml", "truncated"),
        ("not_xml.xml", "not an XML file"),
        ("empty.xml", "not an XML file"),
        ("rss_feed.xml", "not a WordPress export"),
    ],
)
def test_bad_file_names_file_and_changes_nothing(workspace, name, message):
    before = _row_counts()
    with pytest.raises(ImportFormatError) as caught:
        _import(workspace, FIXTURES / name)
    assert name in str(caught.value) and message in str(caught.value)
    assert _row_counts() == before


@pytest.mark.django_db
def test_truncated_file_changes_nothing(workspace):
    with pytest.raises(ImportFormatError, match=r"truncated\.xml, line \d+"):
        _import(workspace, FIXTURES / "truncated.xml")
    assert not Item.objects.exists() and not Post.objects.exists()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_non_wxr_xml_is_refused(workspace, tmp_path):
    path = tmp_path / "disqus.xml"
    path.write_text('<?xml version="1.0"?><disqus><thread/></disqus>')
    with pytest.raises(ImportFormatError, match="root is <disqus>"):
        _import(workspace, path)


@pytest.mark.django_db
def test_entities_are_not_expanded(workspace, tmp_path):
    doc = (
        BLOG.read_text()
        .replace("<rss", '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<rss', 1)
        .replace("Thank you, that worked!", "&xxe;")
    )
    path = tmp_path / "xxe.xml"
    path.write_text(doc)
    try:
        _import(workspace, path)
    except ImportFormatError:
        return
    assert "root:" not in _item("103").text


@pytest.mark.django_db
def test_progress_reports_bytes_and_counts(workspace):
    seen = []
    _import(workspace, progress=seen.append)
    assert seen and seen[-1].bytes_read == BLOG.stat().st_size
    assert seen[-1].items == 8 and seen[-1].posts == 3


@pytest.mark.django_db
def test_import_queues_triage_after_commit(
    workspace, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr("rapport.channels.importing._enqueue_triage", calls.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_import(workspace=workspace, kind="wxr", path=BLOG)
        assert calls == []  # nothing is queued before the commit
    for callback in callbacks:
        callback()
    assert calls == [workspace.pk]


@pytest.mark.django_db
def test_failed_import_queues_no_triage(workspace, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("rapport.channels.importing._enqueue_triage", pytest.fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ImportFormatError):
        run_import(workspace=workspace, kind="wxr", path=FIXTURES / "truncated.xml")


@pytest.mark.django_db
def test_missing_file_is_a_format_error(workspace, tmp_path):
    with pytest.raises(ImportFormatError, match="no such file"):
        _import(workspace, tmp_path / "nope.xml")


@pytest.mark.django_db
def test_summary_describes_itself(workspace):
    assert _import(workspace).describe() == "Imported 8 comments and 3 posts; 1 skipped"
    copy = Path(shutil.copy(BLOG, BLOG.parent / "copy-for-test.xml"))
    try:
        assert "already present" in _import(workspace, copy).describe()
    finally:
        copy.unlink()


@pytest.mark.django_db
def test_hostile_links_in_the_file_are_dropped(workspace, tmp_path):
    doc = BLOG.read_text().replace(
        "<link>https://blog.acme-bakery.example/2024/03/sourdough-for-beginners/</link>",
        "<link>javascript:alert(document.cookie)</link>",
    )
    path = tmp_path / "hostile.xml"
    path.write_text(doc)
    _import(workspace, path)
    assert Post.objects.get(source_id="10").url == ""
    assert _item("101").url == ""
    assert Identity.objects.get(key="mallory@evil.example").url == ""  # javascript:alert(1)


@pytest.mark.django_db
def test_blank_lines_before_the_xml_declaration_are_tolerated(workspace, tmp_path):
    path = tmp_path / "plugin-newlines.xml"
    path.write_bytes(b"\n\n  \n" + BLOG.read_bytes())
    assert _import(workspace, path).items_created == 8


@pytest.mark.django_db
def test_error_line_counts_skipped_blank_lines(workspace, tmp_path):
    path = tmp_path / "late-cut.xml"
    path.write_bytes(b"\n\n\n" + (FIXTURES / "truncated.xml").read_bytes())
    with pytest.raises(ImportFormatError, match=r"late-cut\.xml, line 101"):
        _import(workspace, path)
