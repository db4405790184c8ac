"""A local webhook peer for the publishing benchmarks (127.0.0.1, threaded).

It records every POST with its arrival time (it does NOT de-duplicate, so a
delivery sent twice is counted twice) and answers ``GET /lookup?key=`` so the
engine can reconcile a lost answer without sending again.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed worker drops its connection: expected here


class BenchPeer:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # seconds between recording a POST and answering it
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.lookups = 0
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, payload: dict[str, str]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                with peer.lock:
                    peer.arrivals[key].append(time.time())
                if peer.delay:
                    time.sleep(peer.delay)  # a kill now loses the answer, not the post
                self._answer(200, {"id": key})

            def do_GET(self) -> None:
                key = parse_qs(urlsplit(self.path).query).get("key", [""])[0]
                with peer.lock:
                    found = key in peer.arrivals
                    peer.lookups += 1
                self._answer(200 if found else 404, {"id": key} if found else {})

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def distinct(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def duplicates(self) -> int:
        with self.lock:
            return sum(len(times) - 1 for times in self.arrivals.values())

    def first_arrivals(self) -> dict[str, float]:
        with self.lock:
            return {key: times[0] for key, times in self.arrivals.items()}
