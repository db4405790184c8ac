"""Fuzz every importer: truncated, mutated and wrong-format files.

The contract: an import either succeeds or raises ``ImportFormatError`` naming
the file, never another exception, and a failed import writes nothing.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.channels.importing import run_import
from rapport.errors import ImportFormatError
from rapport.inbox.models import Item, Signal
from rapport.people.models import Identity, Person
from rapport.publish.models import Post

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _tar_gz(folder: Path) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for member in sorted(folder.iterdir()):
            tar.add(member, arcname=member.name)
    return out.getvalue()


def _zip(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in sorted(folder.iterdir()):
            zf.write(member, f"data/{member.name}")
    return out.getvalue()


SAMPLES = {
    "wxr": ("export.xml", (FIXTURES / "wxr" / "blog.xml").read_bytes()),
    "disqus": ("export.xml", (FIXTURES / "disqus" / "forum.xml").read_bytes()),
    "mastodon": ("export.tar.gz", _tar_gz(FIXTURES / "mastodon" / "export")),
    "mastodon-json": (
        "outbox.json",
        (FIXTURES / "mastodon" / "export" / "outbox.json").read_bytes(),
    ),
    "x": ("archive.zip", _zip(FIXTURES / "x" / "archive" / "data")),
    "x-js": ("tweets.js", (FIXTURES / "x" / "archive" / "data" / "tweets.js").read_bytes()),
    "bluesky": ("repo.car", (FIXTURES / "bluesky" / "repo.car").read_bytes()),
}
KIND = {name: name.split("-")[0] for name in SAMPLES}
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Item, Post, Signal, Identity, Person))


def _attempt(workspace, kind: str, path: Path, data: bytes) -> None:
    path.write_bytes(data)
    before = _counts()
    try:
        run_import(workspace=workspace, kind=kind, path=path, enqueue_triage=False)
    except ImportFormatError as exc:
        assert str(path) in str(exc), f"the error must name the file: {exc}"
        assert _counts() == before, "a failed import wrote rows"


@pytest.mark.django_db
@pytest.mark.parametrize("sample", sorted(SAMPLES))
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=0.999))
def test_truncated_files(workspace, tmp_path, sample, cut):
    name, data = SAMPLES[sample]
    _attempt(workspace, KIND[sample], tmp_path / name, data[: int(len(data) * cut)])


@pytest.mark.django_db
@pytest.mark.parametrize("sample", sorted(SAMPLES))
@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.floats(min_value=0, max_value=0.999), st.binary(min_size=0, max_size=4)),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_files(workspace, tmp_path, sample, edits):
    name, data = SAMPLES[sample]
    mutated = bytearray(data)
    for where, replacement in edits:
        pos = int(len(mutated) * where)
        mutated[pos : pos + len(replacement) or pos + 1] = replacement
    _attempt(workspace, KIND[sample], tmp_path / name, bytes(mutated))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["wxr", "disqus", "mastodon", "x", "bluesky"])
@FUZZ
@given(other=st.sampled_from(sorted(SAMPLES)), junk=st.binary(max_size=64))
def test_wrong_format_files(workspace, tmp_path, kind, other, junk):
    name, data = SAMPLES[other]
    if KIND[other] == kind:
        data = junk + data[::-1]
    _attempt(workspace, kind, tmp_path / name, data)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["wxr", "disqus", "mastodon", "x", "bluesky"])
def test_absurd_and_odd_inputs(workspace, tmp_path, kind):
    cases = {
        "empty.bin": b"",
        "zeros.bin": b"\0" * 100_000,
        "utf16.xml": "<?xml version='1.0' encoding='utf-16'?><rss/>".encode("utf-16"),
        "latin1.json": '{"orderedItems": ["caf\xe9"]}'.encode("latin-1"),
        "deep.json": b'{"orderedItems": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
        "bomb.xml": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
        )
        + b"]><rss>&i;</rss>",
    }
    for name, data in cases.items():
        _attempt(workspace, kind, tmp_path / name, data)
    folder = tmp_path / "empty-folder"
    folder.mkdir()
    before = _counts()
    with pytest.raises(ImportFormatError):
        run_import(workspace=workspace, kind=kind, path=folder, enqueue_triage=False)
    assert _counts() == before


@pytest.mark.django_db
def test_deeply_nested_side_files_are_ignored_not_fatal(workspace, tmp_path):
    deep = b"[" * 200_000 + b"]" * 200_000
    export = tmp_path / "mastodon"
    export.mkdir()
    (export / "outbox.json").write_bytes(
        (FIXTURES / "mastodon" / "export" / "outbox.json").read_bytes()
    )
    (export / "actor.json").write_bytes(deep)
    assert run_import(workspace=workspace, kind="mastodon", path=export, enqueue_triage=False)
    archive = tmp_path / "x"
    archive.mkdir()
    (archive / "tweets.js").write_bytes(
        (FIXTURES / "x" / "archive" / "data" / "tweets.js").read_bytes()
    )
    (archive / "account.js").write_bytes(b"window.YTD.account.part0 = " + deep)
    assert run_import(workspace=workspace, kind="x", path=archive, enqueue_triage=False)
