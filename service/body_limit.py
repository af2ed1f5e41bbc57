"""Refuse request bodies that no route should parse, while they stream in.

* Size, by route: dataset files (multipart CSV or .npz) take up to MLPFORGE_MAX_UPLOAD_BYTES;
  the other routes that carry data (JSON datasets, predictions) up to MLPFORGE_MAX_BODY_BYTES;
  every other body (a job request is a few KB) up to MLPFORGE_MAX_REQUEST_BYTES. A larger
  `Content-Length` is refused at once; a body without one is counted as it arrives and refused
  the moment it passes the limit → 413.
* Encoding: a compressed body (`Content-Encoding: gzip`, ...) or a UTF-16/32 one (a byte-order
  mark or NUL bytes where JSON's first characters are) is refused → 415, rather than parsed
  into a 422 about surrogates or invalid JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import problem

# POST routes whose bodies are data, measured in megabytes rather than kilobytes: uploads,
# and predictions (/v1 predict, the V2 protocol's infer).
DATA_ROUTES = re.compile(r"^/v1/(datasets|models/[^/]+/predict)$|^/v2/models/[^/]+/infer$")
# Files sent there (CSV, .npz) are never turned into Python objects cell by cell, unlike a JSON
# body: they have a limit of their own, MLPFORGE_MAX_UPLOAD_BYTES.
UPLOAD_ROUTE = "/v1/datasets"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


class BodyRefused(HTTPException):
    """An HTTPException, so that FastAPI's body parsing re-raises it as the answer it is."""


@dataclass(frozen=True)
class BodyLimits:
    data_bytes: int
    request_bytes: int
    # Dataset files (multipart uploads to /v1/datasets); by default those follow data_bytes.
    upload_bytes: int | None = None

    def for_request(self, method: str, path: str, media_type: bytes = b"") -> tuple[int, str]:
        """The limit and the setting that sets it."""
        if method == "POST" and DATA_ROUTES.match(path):
            is_file = path == UPLOAD_ROUTE and media_type == b"multipart/form-data"
            if is_file and self.upload_bytes is not None:
                return self.upload_bytes, "MLPFORGE_MAX_UPLOAD_BYTES"
            return self.data_bytes, "MLPFORGE_MAX_BODY_BYTES"
        return self.request_bytes, "MLPFORGE_MAX_REQUEST_BYTES"


def _too_large(limit: int, setting: str) -> BodyRefused:
    return BodyRefused(
        413, f"the request body exceeds this route's limit of {limit:,} bytes ({setting})"
    )


def _unsupported_encoding(encoding: str) -> BodyRefused:
    return BodyRefused(
        415,
        f"Content-Encoding {encoding[:40]!r} is not supported: send the body uncompressed "
        "(identity)",
    )


def _wide_text(first: bytes) -> BodyRefused | None:
    """A body in UTF-16 or UTF-32: JSON's first bytes are ASCII, so a NUL among them, or a
    byte-order mark, means a wide encoding."""
    if first.startswith(_UTF16_32_BOMS) or b"\x00" in first[:4]:
        return BodyRefused(
            415, "the body looks like UTF-16 or UTF-32 text; send JSON encoded as UTF-8"
        )
    return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        media_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        limit, setting = self.limits.for_request(scope["method"], scope["path"], media_type)
        refusal = self._refusal_from_headers(scope, limit, setting)
        if refusal is not None:
            await problem(refusal.status_code, refusal.detail)(scope, receive, send)
            return
        is_json = media_type == b"application/json" or media_type.endswith(b"+json")
        received = 0
        response_started = False

        async def checked_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if received == 0 and is_json and (wide := _wide_text(chunk)) is not None:
                    raise wide
                received += len(chunk)
                if received > limit:
                    raise _too_large(limit, setting)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, checked_receive, tracking_send)
        except BodyRefused as refused:
            if not response_started:
                await problem(refused.status_code, refused.detail)(scope, receive, send)

    @staticmethod
    def _refusal_from_headers(scope: Scope, limit: int, setting: str) -> BodyRefused | None:
        encoding = (_header(scope, b"content-encoding") or b"identity").decode("latin-1")
        if encoding.strip().lower() not in {"identity", ""}:
            return _unsupported_encoding(encoding)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = 0
            if length > limit:
                return _too_large(limit, setting)
        content_type = (_header(scope, b"content-type") or b"").decode("latin-1").lower()
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", content_type)
        if charset and charset.group(1) not in {"utf-8", "utf8", "us-ascii", "ascii"}:
            return BodyRefused(
                415, f"charset {charset.group(1)[:20]!r} is not supported: send UTF-8"
            )
        return None
