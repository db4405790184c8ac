"""End to end with a REAL worker: ``rapport worker`` as a subprocess, SQLite in a temp
data dir, a webhook peer on 127.0.0.1. A post scheduled two seconds ahead arrives
exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.publish.fixtures import SECRET
from tests.publish.webhook_peer import WebhookPeer

pytestmark = pytest.mark.slow


def rapport(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "rapport", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scheduled_post_arrives_exactly_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_ALLOW_PRIVATE_WEBHOOKS": "1"}
    with WebhookPeer(SECRET) as peer:
        rapport(env, "migrate")
        rapport(env, "workspace", "create", "e2e")
        rapport(
            env,
            "channels",
            "add",
            "webhook",
            "Hook",
            "--workspace",
            "e2e",
            "--config",
            f"url={peer.url}",
            "--secret",
            f"secret={SECRET}",
        )
        (tmp_path / "post.md").write_text("# Hello\n\nFrom a real worker.\n")
        at = datetime.now(UTC) + timedelta(seconds=3)
        rapport(
            env,
            "posts",
            "create",
            str(tmp_path / "post.md"),
            "--workspace",
            "e2e",
            "--channels",
            "Hook",
            "--at",
            at.isoformat(),
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "rapport", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not peer.received and time.monotonic() < deadline:
                time.sleep(0.2)
            arrived = datetime.now(UTC)
            time.sleep(3)  # anything fired twice would arrive by now
        finally:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        assert len(peer.received) == 1, worker.stderr.read() if worker.stderr else ""
        assert peer.received[0]["signed"]
        assert peer.received[0]["json"]["text"] == "From a real worker."
        assert arrived >= at
    listed = rapport(env, "posts", "list", "--workspace", "e2e")
    assert "Hook\tsent" in listed
