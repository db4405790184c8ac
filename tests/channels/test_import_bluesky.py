"""Bluesky repository exports (CAR), using a repo exported from a real local PDS.

``tests/fixtures/bluesky/repo.car`` came from ``com.atproto.sync.getRepo`` on the
Bluesky team's own PDS (``@atproto/dev-env``), written by ``make_repo_car.mjs``:
the owner posts, Ben replies, the owner answers Ben, threads two own replies
under the post, likes and reposts Ben's reply and follows Ben.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from atproto import CAR

from rapport.channels.importing import run_import
from rapport.errors import ImportFormatError
from rapport.inbox.models import Item, ItemState, Signal
from rapport.people.models import Person
from rapport.publish.models import Post

REPO = Path(__file__).resolve().parents[1] / "fixtures" / "bluesky" / "repo.car"
OWNER = "did:plc:incq34zsxabxxpzp23eou23x"
BEN_REPLY = "at://did:plc:cecaxggkueslqvrvdasukr3g/app.bsky.feed.post/3n2xsy2drps25"

pytestmark = pytest.mark.django_db


def _import(workspace, path=REPO):
    return run_import(workspace=workspace, kind="bluesky", path=path, enqueue_triage=False)


def _post_uri(rkey: str) -> str:
    return f"at://{OWNER}/app.bsky.feed.post/{rkey}"


def test_the_fixture_is_a_real_repository():
    car = CAR.from_bytes(REPO.read_bytes())
    assert car.blocks[car.root]["did"] == OWNER


def test_posts_replies_and_likes_are_imported(workspace):
    summary = _import(workspace)
    assert summary.source == f"bluesky:{OWNER}"
    assert (summary.posts_created, summary.items_created, summary.signals_created) == (1, 3, 2)
    assert summary.skipped == {"app.bsky.graph.follow records are not messages": 1}


def test_own_thread_hangs_on_the_post(workspace):
    _import(workspace)
    post = Post.objects.get(source_id=_post_uri("3n2xsy2bw5k25"))
    second = Item.objects.get(source_id=_post_uri("3n2xsy2jwyc25"))
    third = Item.objects.get(source_id=_post_uri("3n2xsy2m2ek25"))
    assert second.post == post and third.parent == second and third.post == post
    assert post.url == f"https://bsky.app/profile/{OWNER}/post/3n2xsy2bw5k25"


def test_answer_to_someone_else_keeps_the_uri(workspace):
    _import(workspace)
    answer = Item.objects.get(source_id=_post_uri("3n2xsy2gat225"))
    assert answer.signals == {"in_reply_to": BEN_REPLY}
    assert (
        answer.is_own and answer.state == ItemState.DONE and answer.text == "No wheat at all, Ben."
    )


def test_likes_and_reposts_are_signals_given_by_the_owner(workspace):
    _import(workspace)
    assert sorted(Signal.objects.values_list("kind", flat=True)) == ["boost", "like"]
    assert all(s.author.person.is_self for s in Signal.objects.all())
    assert Person.objects.get().identities.get().key == OWNER


def test_post_text_is_escaped(workspace):
    _import(workspace)
    post = Post.objects.get()
    assert "<script>" not in post.body and "&lt;script&gt;" in post.body


def test_reimport_adds_nothing_twice(workspace):
    _import(workspace)
    again = _import(workspace)
    assert (again.posts_created, again.items_created, again.signals_created) == (0, 0, 0)
    assert again.already_present == 6


@pytest.mark.parametrize("cut", [0.3, 0.7, 0.99])
def test_truncated_repository_changes_nothing(workspace, tmp_path, cut):
    data = REPO.read_bytes()
    path = tmp_path / "repo.car"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ImportFormatError, match=r"repo\.car"):
        _import(workspace, path)
    assert not Item.objects.exists() and not Signal.objects.exists() and not Post.objects.exists()


def test_other_files_are_refused(workspace):
    wxr = Path(__file__).resolve().parents[1] / "fixtures" / "wxr" / "blog.xml"
    with pytest.raises(ImportFormatError, match="not a CAR file"):
        _import(workspace, wxr)
