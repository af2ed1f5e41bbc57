"""Count the requests the app's error handlers answer because of Redis."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import kombu.exceptions
import redis
from fastapi import FastAPI, Request
from starlette.responses import Response

from service.metrics.instruments import REDIS_ERRORS
from store.connection import PoolExhausted

Handler = Callable[[Request, Exception], Awaitable[Response]]

KINDS: tuple[tuple[type[Exception], str], ...] = (
    (PoolExhausted, "pool_exhausted"),
    (redis.exceptions.OutOfMemoryError, "out_of_memory"),
    (redis.ConnectionError, "unavailable"),
    (redis.TimeoutError, "unavailable"),
    (kombu.exceptions.OperationalError, "unavailable"),
)


def _counting(handler: Handler, kind: str) -> Handler:
    async def counted(request: Request, exc: Exception) -> Response:
        REDIS_ERRORS.labels(kind).inc()
        return await handler(request, exc)

    return counted


def count_redis_errors(app: FastAPI) -> None:
    """Wrap the handlers `service.errors` installed (call after it, before the app starts)."""
    handlers: dict[Any, Any] = app.exception_handlers
    for exc_class, kind in KINDS:
        handler = handlers.get(exc_class)
        if handler is not None:
            handlers[exc_class] = _counting(handler, kind)
