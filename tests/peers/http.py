"""A loopback HTTP server that answers with recorded payloads (zulip's fixtures idea).

Used where no real peer runs here (WordPress), to replay real platform answers
that a mock does not produce (Mastodon's h-card HTML, ISO rate-limit resets),
and for protocol details such as conditional GET. Real sockets, real HTTP
clients: only the server's answers are canned.

    with Replay() as server:
        server.route("GET", "/feed", lambda req: Answer(200, {"ETag": '"1"'}, b"..."))
        httpx.get(server.url + "/feed")
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str | Any = b""

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        self.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Answer]


def fixture(*parts: str) -> Any:
    """A recorded JSON payload from ``tests/fixtures``."""
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


class Replay:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        replay = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=split.path,
                    query={k: v[-1] for k, v in parse_qs(split.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                replay.requests.append(request)
                handler = replay.routes.get((self.command, split.path))
                answer = handler(request) if handler else Answer(404, body={"error": "not found"})
                body = answer.encoded()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def __enter__(self) -> Replay:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
