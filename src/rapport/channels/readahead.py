"""Read an archive in a thread while the database writes: parse and write overlap.

Parsing and cleaning HTML is Python and C work; writing is SQLite or
PostgreSQL work that releases the GIL. Importers never touch the database, so
their records can be produced (and their HTML cleaned, see ``ingest.prepare``)
in a reader thread, a bounded queue ahead of the writer: a million-comment
import then takes the longer of the two, not their sum, and memory stays flat.
Errors in the reader (a truncated file) are raised in the caller, unchanged.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_ahead(
    source: Iterable[T], transform: Callable[[T], U], *, chunk: int = 500, depth: int = 8
) -> Iterator[U]:
    """Yield ``transform(x)`` for each ``x`` of ``source``, computed in a thread."""
    out: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                out.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            batch: list[U] = []
            for item in source:
                batch.append(transform(item))
                if len(batch) >= chunk:
                    if not put(batch):
                        return
                    batch = []
            if batch and not put(batch):
                return
            put(_DONE)
        except BaseException as exc:  # handed to the caller, who decides
            put(_Failed(exc))

    thread = threading.Thread(target=work, name="rapport-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            got = out.get()
            if got is _DONE:
                return
            if isinstance(got, _Failed):
                raise got.exc
            yield from got  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=5)
