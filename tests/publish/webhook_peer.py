"""A real HTTP webhook receiver on 127.0.0.1 (http.server in a thread).

It verifies the HMAC signature, de-duplicates on ``Idempotency-Key`` like a
well-behaved receiver, and answers from a script of canned responses so tests
can make it rate-limit, fail, or hang past the client's timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Scripted:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    delay: float = 0.0
    record: bool = True  # a hang after receiving still records the post


class WebhookPeer:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []  # every request, duplicates included
        self.accepted: dict[str, dict[str, Any]] = {}  # by idempotency key
        self.bad_signatures = 0
        self.lookups = 0
        self.script: list[Scripted] = []
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                peer.handle(self, raw)

            def do_GET(self) -> None:
                peer.lookup(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> WebhookPeer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def lookup_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/lookup"

    def lookup(self, handler: BaseHTTPRequestHandler) -> None:
        """``GET /lookup?key=...``: 200 with the post's id when it arrived, else 404."""
        key = parse_qs(urlsplit(handler.path).query).get("key", [""])[0]
        expected = (
            "sha256=" + hmac.new(self.secret.encode(), key.encode(), hashlib.sha256).hexdigest()
        )
        with self.lock:
            self.lookups += 1
            found = key in self.accepted
        signed = hmac.compare_digest(expected, handler.headers.get("X-Rapport-Signature", ""))
        status = 401 if not signed else 200 if found else 404
        body = json.dumps({"id": f"hook-{key}"} if status == 200 else {}).encode()
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(expected, handler.headers.get("X-Rapport-Signature", ""))
        key = handler.headers.get("Idempotency-Key", "")
        with self.lock:
            step = self.script.pop(0) if self.script else Scripted()
            self.received.append({"key": key, "signed": signed, "json": json.loads(raw or b"{}")})
            if not signed:
                self.bad_signatures += 1
                step = Scripted(status=401, body="bad signature")
            elif step.status < 300 or (step.record and step.delay):
                self.accepted.setdefault(key, json.loads(raw))
        if step.delay:
            time.sleep(step.delay)
        body = (step.body or json.dumps({"id": f"hook-{key}"})).encode()
        try:
            handler.send_response(step.status)
            for name, value in step.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
