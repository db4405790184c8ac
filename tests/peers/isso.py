"""A REAL Isso comment server (PyPI ``isso==0.14.0``) on 127.0.0.1 for the blog-feed tests.

Isso lives in its own virtual environment under ``var/peers/isso-venv``
(git-ignored), created on first use; it never enters the project's venv.
Comments are written through Isso's REST API (``POST /new?uri=``) and read
back from its Atom comment feed (``/feed?uri=``), exactly as a blog's
readers and Rapport would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "var" / "peers" / "isso-venv"
ISSO = VENV / "bin" / "isso"
BLOG = "http://blog.example"
__all__ = ["isso_server"]


def ensure_isso() -> Path:
    if ISSO.exists():
        return ISSO
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "isso==0.14.0"],
            check=True,
            timeout=600,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        require_or_skip(f"Isso could not be installed into {VENV}: {exc}")
    return ISSO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Isso:
    url: str

    def comment(self, path: str, text: str, author: str, parent: int | None = None) -> int:
        """Post a comment as a reader would; returns Isso's id for it."""
        response = httpx.post(
            f"{self.url}/new",
            params={"uri": path},
            json={"text": text, "author": author, "parent": parent, "title": path},
            timeout=10,
        )
        response.raise_for_status()
        return int(response.json()["id"])

    def feed_url(self) -> str:
        return f"{self.url}/feed?uri={{path}}"


@pytest.fixture(scope="session")
def isso_server(tmp_path_factory: Any) -> Iterator[Isso]:
    isso = ensure_isso()
    home = tmp_path_factory.mktemp("isso")
    port = free_port()
    config = home / "isso.cfg"
    config.write_text(
        f"[general]\ndbpath = {home / 'comments.db'}\nhost = {BLOG}/\n"
        f"[server]\nlisten = http://127.0.0.1:{port}/\n"
        f"[rss]\nbase = {BLOG}/\nlimit = 100\n"
        "[guard]\nenabled = false\n[moderation]\nenabled = false\n"
    )
    log = (home / "isso.log").open("w")
    process = subprocess.Popen([str(isso), "-c", str(config), "run"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/info", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    require_or_skip(f"Isso did not start: {(home / 'isso.log').read_text()[-500:]}")
                time.sleep(0.2)
        yield Isso(url=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
