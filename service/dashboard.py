"""The dashboard at ``GET /`` and the static files under ``/static``, both without a key.

The page is plain HTML and ES modules from ``service/static/`` (no build step); it asks for
the API key itself when a /v1 call answers 401, and sends it on every /v1 call. Nothing of
it is served under /v1, and nothing it loads comes from another host: its
Content-Security-Policy allows this origin only, and no inline script or style at all.

Vendored files (``static/vendor/<package>-<version>/``) carry their version in their path,
so they are cached for a year; the dashboard's own files are revalidated (ETag) on each use,
so a new release is picked up at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().with_name("static")
STATIC_URL = "/static"
VENDOR = "vendor"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Set here rather than guessed from the host's /etc/mime.types: a module script served as
# anything but JavaScript is refused by the browser (and nosniff is always on).
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE, NOTICE
}

# Everything from this origin, nothing inline: the dashboard escapes what it shows, and this
# is the second line of defence should it ever fail to.
DASHBOARD_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def page_headers(csp: str) -> dict[str, str]:
    """The headers of an HTML page of ours (the dashboard, /docs, /redoc)."""
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": REVALIDATE,
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def static_url(path: str) -> str:
    return f"{STATIC_URL}/{path}"


class StaticAssets(StaticFiles):
    """The package's static files, each with its media type and caching policy."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        relative = self.get_path(scope)
        vendored = relative.startswith(VENDOR + os.sep)
        response = FileResponse(
            full_path,
            status_code=status_code,
            stat_result=stat_result,
            media_type=MEDIA_TYPES.get(Path(full_path).suffix, "application/octet-stream"),
            headers={
                "Cache-Control": IMMUTABLE if vendored else REVALIDATE,
                "Content-Security-Policy": DASHBOARD_CSP,
            },
        )
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


router = APIRouter(include_in_schema=False)
INDEX = (STATIC_DIR / "dashboard" / "index.html").read_bytes()


@router.get("/", response_class=HTMLResponse)
async def dashboard() -> HTMLResponse:
    return HTMLResponse(INDEX, headers=page_headers(DASHBOARD_CSP))


def install_dashboard(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(STATIC_URL, StaticAssets(directory=STATIC_DIR), name="static")
