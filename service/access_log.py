"""One access line per request, written by the app rather than by uvicorn.

uvicorn runs with ``--no-access-log`` everywhere (`make run`, compose, the tests): its line
shows the full request target, query string included, and knows neither the route nor the
tenant. This one is a `mlpforge.access` log line with ``method``, ``route`` (the template,
``/v1/jobs/{job_id}``, or ``unmatched``), ``path`` (without the query string: query values are
never logged), ``status``, ``duration_ms``, ``bytes`` (of the body sent), ``client``,
``tenant`` (once the key was checked) and, from the context, ``request_id``. No header is
logged, so neither is a key.

Probes and scrapes (/healthz, /readyz, /metrics, /v2/health/*) that succeed are logged at
DEBUG: a load balancer asking every few seconds would otherwise bury everything else.
"""

from __future__ import annotations

import logging
import time

from starlette.types import Message, Receive, Scope, Send

from service.asgi import HttpMiddleware
from service.metrics.http import route_template

log = logging.getLogger("mlpforge.access")

QUIET_PATHS = ("/healthz", "/readyz", "/metrics", "/v2/health/")
MAX_PATH_CHARS = 200


class AccessLogMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        began = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering
        sent = 0

        async def observed_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            _log_request(scope, status, sent, time.perf_counter() - began)


def _log_request(scope: Scope, status: int, sent: int, seconds: float) -> None:
    # raw_path: still percent-encoded, so a decoded newline cannot forge a second text line.
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1")[:MAX_PATH_CHARS]
    quiet = status < 400 and scope["path"].startswith(QUIET_PATHS)
    method = str(scope["method"])[:16]
    route = route_template(scope)
    duration_ms = round(seconds * 1000, 1)
    client = scope.get("client")
    level = logging.DEBUG if quiet else logging.INFO
    if not log.isEnabledFor(level):
        return
    # makeRecord + handle is what `log.log` does, less `findCaller`'s walk up the stack for a
    # file and line no format here prints (~5 µs of every logged request).
    record = log.makeRecord(
        log.name,
        level,
        __file__,
        0,
        "%s %s %d %.1fms %dB",
        (method, path, status, duration_ms, sent),
        None,
        "_log_request",
        extra={
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "bytes": sent,
            "client": client[0] if client else None,
            "tenant": scope.get("state", {}).get("tenant"),
        },
    )
    log.handle(record)
