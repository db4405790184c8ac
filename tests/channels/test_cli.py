"""``rapport channels`` and ``rapport posts`` through Click's runner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rapport.channels.models import Channel
from rapport.cli import build_cli
from rapport.publish.models import Post
from tests.publish.fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def run(*args: str) -> object:
    return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)


def test_add_list_and_test_channels(workspace, allow_private):
    r = run("channels", "add", "feed", "Blog", "--workspace", "acme")
    assert r.exit_code == 0, r.output
    r = run(
        "channels",
        "add",
        "webhook",
        "Hook",
        "--workspace",
        "acme",
        "--config",
        "url=http://127.0.0.1:9/x",
        "--secret",
        "secret=a-long-enough-secret",
    )
    assert r.exit_code == 0, r.output
    hook = Channel.objects.get(name="Hook")
    assert hook.get_secrets() == {"secret": "a-long-enough-secret"}
    listed = run("channels", "list", "--workspace", "acme").output
    assert "Blog\tfeed\tactive" in listed and "Hook\twebhook\tactive" in listed
    assert "a-long-enough-secret" not in listed
    assert run("channels", "test", str(hook.pk)).exit_code == 0


def test_bad_channel_input_exits_2(workspace):
    r = run("channels", "add", "webhook", "Hook", "--workspace", "acme", "--config", "url=ftp://x")
    assert r.exit_code == 2 and "http" in r.output
    assert run("channels", "add", "nope", "X", "--workspace", "acme").exit_code == 2
    assert run("channels", "add", "feed", "X", "--workspace", "missing").exit_code == 2
    assert (
        run("channels", "add", "feed", "X", "--workspace", "acme", "--config", "bad").exit_code == 2
    )


def test_posts_create_and_list(workspace, feed_channel, tmp_path):
    path = tmp_path / "news.md"
    path.write_text("# Winter hours\n\nWe open at **nine**.\n")
    r = run(
        "posts",
        "create",
        str(path),
        "--workspace",
        "acme",
        "--channels",
        "Blog feed",
        "--at",
        "2099-01-01T09:00",
    )
    assert r.exit_code == 0, r.output
    post = Post.objects.get()
    assert post.title == "Winter hours" and post.text == "We open at nine."
    out = run("posts", "list", "--workspace", "acme").output
    assert "Winter hours" in out and "Blog feed\tscheduled" in out
    r = run("posts", "create", str(path), "--workspace", "acme", "--channels", "Nope")
    assert r.exit_code == 2 and "no channel named Nope" in r.output
    r = run(
        "posts",
        "create",
        str(path),
        "--workspace",
        "acme",
        "--channels",
        "Blog feed",
        "--at",
        "2001-01-01",
    )
    assert r.exit_code == 2 and "in the past" in r.output
