"""The base of the app's own middlewares: pure ASGI, for HTTP requests only.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, which runs the app in a task of its own
(a context variable set inside would not be seen outside, and one set outside is copied) and
wraps every streamed answer; websockets and lifespan events pass through untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
