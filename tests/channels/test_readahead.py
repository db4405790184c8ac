"""The reader thread: same items in the same order, errors raised in the caller."""

from __future__ import annotations

import threading

import pytest

from rapport.channels.readahead import read_ahead
from rapport.errors import ImportFormatError


def test_yields_every_item_in_order():
    assert list(read_ahead(range(2_345), lambda x: x * 2, chunk=100)) == [
        x * 2 for x in range(2_345)
    ]


def test_error_in_the_reader_reaches_the_caller_after_earlier_items():
    def source():
        yield from range(10)
        raise ImportFormatError("f.xml", "truncated", line=3)

    seen = []
    with pytest.raises(ImportFormatError, match=r"f\.xml, line 3"):
        for x in read_ahead(source(), lambda x: x, chunk=4):
            seen.append(x)
    assert seen == list(range(8))  # whole chunks only: the tail chunk never completed


def test_stopping_early_ends_the_reader_thread():
    before = threading.active_count()
    for x in read_ahead(iter(range(10**9)), lambda x: x, chunk=10, depth=2):
        if x == 50:
            break
    assert threading.active_count() == before
