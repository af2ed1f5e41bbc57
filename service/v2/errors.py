"""V2 clients read an error's message from ``{"error": "..."}``; every other client of this
API reads problem+json. Every /v2 error carries both: the problem's fields, and ``error``
set to its ``detail`` — whichever layer answered (a route, the key check, the body limit)."""

from __future__ import annotations

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PROBLEM_JSON

V2_PREFIX = "/v2/"


class V2ErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(V2_PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewriting_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if message["status"] >= 400 and headers.get("content-type") == PROBLEM_JSON:
                    start = message  # held until the whole (small) body is here
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = _with_error(b"".join(chunks))
                MutableHeaders(scope=start)["content-length"] = str(len(body))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, rewriting_send)


def _with_error(body: bytes) -> bytes:
    try:
        problem = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if isinstance(problem, dict) and "error" not in problem:
        problem["error"] = str(problem.get("detail") or problem.get("title") or "error")
    return orjson.dumps(problem)
