"""A webhook receiver on loopback: a real HTTP server that records every POST it gets and
answers from a script per path (say 500, 500, then 200)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]  # names in lower case
    body: bytes


class Receiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[int]] = {}
        self._received: dict[str, list[Delivery]] = defaultdict(list)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = receiver._record(self.path, Delivery(headers, body))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"{receiver.base}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: pytest shows what matters

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def script(self, path: str, statuses: list[int]) -> str:
        """Answer POSTs to ``path`` with these statuses in turn (the last one from then on);
        returns the URL of ``path``."""
        with self._lock:
            self._scripts[path] = list(statuses)
        return f"{self.base}{path}"

    def _record(self, path: str, delivery: Delivery) -> int:
        with self._lock:
            self._received[path].append(delivery)
            script = self._scripts.get(path, [200])
            return script.pop(0) if len(script) > 1 else script[0]

    def received(self, path: str) -> list[Delivery]:
        with self._lock:
            return list(self._received[path])

    def wait_for(self, path: str, count: int, timeout: float = 30) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.received(path)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received(path)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
