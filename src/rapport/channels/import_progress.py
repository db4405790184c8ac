"""Live progress of a running import, readable by every web process.

Why not the job row: an import runs in ONE database transaction, so anything it
wrote to the database would be invisible to other connections until the end,
and on SQLite a second connection could not write at all while it holds the
write lock. Why not Django's cache: none is configured, so it is each process's
own memory, and the worker and the web server are separate processes even in
the embedded mode. Why not a JSON file under the data directory: at scale, web
and worker processes may run on different machines.

So progress goes to huey's key/value store, which is already configured for both
deployment modes and shared by every web and worker process: the huey SQLite
file in the data directory (its own file, its own lock, not the database's) when
embedded, Redis at scale, memory in huey's immediate mode (tests). A
:class:`Heartbeat` thread writes the latest snapshot once a second together with
the time and the runner (host and pid): a snapshot that stops changing means the
worker died, which is how a job left "running" is recognised as interrupted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import asdict
from typing import Any

from django.conf import settings

from rapport.channels.importing import ImportProgress

BEAT_SECONDS = 1.0
# No beat for this long: the runner is gone. Generous, because a runner wrongly
# taken for dead has its job shown failed and its upload deleted; a runner on
# the same host is recognised sooner, by its pid.
STALE_SECONDS = 120.0
log = logging.getLogger(__name__)


def _key(job_id: int) -> str:
    return f"rapport:import-progress:{job_id}"


def runner_id() -> str:
    """``host:pid`` of this process, stored on the job it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def read(job_id: int) -> dict[str, Any] | None:
    value = settings.HUEY.get(_key(job_id), peek=True)
    return value if isinstance(value, dict) else None


def write(job_id: int, snapshot: dict[str, Any]) -> None:
    settings.HUEY.put(_key(job_id), snapshot)


def forget(job_id: int) -> None:
    settings.HUEY.delete(_key(job_id))


def runner_alive(runner: str, last_beat: float | None, *, now: float | None = None) -> bool:
    """Whether the process that claimed a job may still be running it.

    A beat within ``STALE_SECONDS`` says yes. Without one, a runner on this
    host is checked directly (a restarted embedded worker is recognised at once);
    a runner on another host is presumed alive only for ``STALE_SECONDS``
    after the claim, which the caller passes as ``last_beat`` when no beat exists.
    """
    now = time.time() if now is None else now
    host, _, pid = runner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
        return False
    return last_beat is not None and now - last_beat < STALE_SECONDS


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but alive
    return True


class Heartbeat:
    """Publish an import's progress once a second from a side thread.

    The import calls :meth:`update` on every flushed batch (cheap: it only keeps
    the latest counts); the thread writes them with a timestamp, so the beat goes
    on during long single steps (the fix-up pass, the commit) and stops only when
    the process does.
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.runner = runner_id()
        self.snapshot: dict[str, Any] = {
            "bytes_read": 0,
            "bytes_total": None,
            "posts": 0,
            "items": 0,
            "skipped": 0,
        }
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"import-{job_id}-heartbeat", daemon=True
        )

    def update(self, progress: ImportProgress) -> None:
        self.snapshot = asdict(progress)

    def beat(self) -> None:
        write(self.job_id, {**self.snapshot, "beat": time.time(), "runner": self.runner})

    def _run(self) -> None:
        while not self._stop.wait(BEAT_SECONDS):
            try:
                self.beat()
            except Exception:  # a missed beat is retried in a second; never kill the import
                log.warning("import %s: could not publish progress", self.job_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
