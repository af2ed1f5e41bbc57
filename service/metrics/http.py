"""HTTP requests and their latency by route template, for every answer the app gives.

The label is the matched route's template (``/v1/models/{model_id}/predict``), never the raw
path: ids in paths would give every model a series of its own. A path no route matches is
``unmatched``, and a method outside HTTP's usual ones ``other``, so no request can add series.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.metrics.instruments import HTTP_REQUESTS, HTTP_SECONDS

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The template of the route that answered, or would have (a body refused by a
    middleware before routing still belongs to its route)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    app = scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = candidate.matches(scope)
        if match != Match.NONE:
            return str(candidate.path)
    return UNMATCHED


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            counted, timed = _children(method, route_template(scope), status)
            counted.inc()
            timed.observe(time.perf_counter() - began)


# (method, route, status) → the two series it adds to. prometheus-client's `labels()` takes a
# lock and rebuilds its key on every call (~5 µs for both, a few % of a one-row prediction);
# the labels are bounded (methods, route templates, statuses), and so is this dict.
_CHILDREN: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def _children(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    key = (method, route, status)
    children = _CHILDREN.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_SECONDS.labels(method, route),
        )
        _CHILDREN[key] = children
    return children
