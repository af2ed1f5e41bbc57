"""Every request gets an id: the caller's ``X-Request-ID`` when it is well formed, else a new one.

It is echoed in the answer's ``X-Request-ID``, bound to every log line of the request
(mlpforge.log_context), stored on a job the request creates and passed with its task, so that
one id finds the access line, the job's creation and the worker's lines for that job. A
caller's id that is too long or carries other characters than these is replaced rather than
refused: an id is a convenience, and one that could break a log line or a header is not used.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from mlpforge.log_context import bound
from service.asgi import HttpMiddleware

HEADER = "X-Request-ID"
MAX_CHARS = 128
WELL_FORMED = re.compile(rf"^[A-Za-z0-9._:+/=-]{{1,{MAX_CHARS}}}$")


def request_id_of(request: Request) -> str | None:
    """The id `RequestIdMiddleware` gave this request."""
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def chosen_id(presented: str | None) -> str:
    if presented is not None and WELL_FORMED.match(presented):
        return presented
    return uuid.uuid4().hex


class RequestIdMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        presented = next(
            (value for name, value in scope["headers"] if name == b"x-request-id"), None
        )
        request_id = chosen_id(None if presented is None else presented.decode("latin-1"))
        # The request's state (request.state) is this dict, for every layer below.
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with bound(request_id=request_id):
            await self.app(scope, receive, send_with_id)
