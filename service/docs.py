"""``/docs`` (Swagger UI) and ``/redoc``, with their assets served from the package.

FastAPI's pages load Swagger UI and Redoc from a CDN (and Redoc's fonts from Google): with no
internet they stay blank. These load the copies vendored under ``service/static/vendor/``
(see its README for the versions and how they were fetched). Swagger UI's start-up script,
inline in FastAPI's page, is a static file here, reading its configuration from a JSON data
block, so that the page's Content-Security-Policy allows scripts from this origin only.
Styles may be inline: both UIs set them at run time (Redoc through styled-components).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, swagger_ui_default_parameters
from fastapi.responses import HTMLResponse

from service.dashboard import page_headers, static_url

SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"
REDOC = "vendor/redoc-2.5.4"
FAVICON = static_url("favicon.svg")

DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        # Redoc's search index runs in a worker made from a blob.
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="icon" href="{favicon}" type="image/svg+xml">
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="swagger-ui"></div>
<script type="application/json" id="swagger-ui-config">{config}</script>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


def _script_safe_json(value: Any) -> str:
    """JSON that cannot end the <script> element holding it."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def swagger_ui_config(app: FastAPI) -> dict[str, Any]:
    """FastAPI's defaults, then the app's ``swagger_ui_parameters``; never the online
    validator (Swagger UI would send the document to validator.swagger.io)."""
    return {
        **swagger_ui_default_parameters,
        **(app.swagger_ui_parameters or {}),
        "url": app.openapi_url,
        "validatorUrl": None,
    }


def install_docs(app: FastAPI) -> None:
    title = f"{app.title} — API reference"
    swagger_page = SWAGGER_PAGE.format(
        title=escape(title),
        favicon=FAVICON,
        css=static_url(f"{SWAGGER_UI}/swagger-ui.css"),
        bundle=static_url(f"{SWAGGER_UI}/swagger-ui-bundle.js"),
        init=static_url("docs/swagger-init.js"),
        config=_script_safe_json(swagger_ui_config(app)),
    )
    redoc_page = get_redoc_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=title,
        redoc_js_url=static_url(f"{REDOC}/redoc.standalone.js"),
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    ).body
    headers = page_headers(DOCS_CSP)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger_page, headers=headers)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_page, headers=headers)
