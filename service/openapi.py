"""The OpenAPI document: every error the API can answer is documented as problem+json."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from service.errors import problem_response
from service.schemas import NotReady, Problem

PATH_PARAMETER = re.compile(r"\{(\w+?)(?:_id)?\}")
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def _register(schemas: dict[str, Any], *models: type[Problem]) -> None:
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema


# The API keys, as Swagger UI's "Authorize" offers them. They are checked by
# service/access.py before a body is read, not by FastAPI's security dependencies (which run
# after it), so the schemes are declared here.
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <key> (a key of MLPFORGE_API_KEYS)",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "X-API-Key: <key> (the same keys)",
    },
}
KEYED_PREFIXES = ("/v1/", "/v2/models")


def _document_security(document: dict[str, Any]) -> None:
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, item in document.get("paths", {}).items():
        if not path.startswith(KEYED_PREFIXES):
            continue
        for method, operation in item.items():
            if method in HTTP_METHODS:
                operation["security"] = [{name: []} for name in SECURITY_SCHEMES]


def _document_problems(document: dict[str, Any]) -> None:
    _register(document.setdefault("components", {}).setdefault("schemas", {}), Problem, NotReady)
    for path, item in document.get("paths", {}).items():
        named = PATH_PARAMETER.findall(path)
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if named:
                # Every id in a path may name nothing, or another tenant's resource: both 404.
                responses.setdefault(
                    "404",
                    problem_response(
                        f"No such {' or '.join(named)} (or it belongs to another tenant)."
                    ),
                )
            if "requestBody" in operation:
                responses.setdefault(
                    "400",
                    problem_response("The body cannot be decoded (not UTF-8, broken multipart)."),
                )
                responses.setdefault(
                    "413",
                    problem_response(
                        "The request body is over this route's limit (MLPFORGE_MAX_BODY_BYTES "
                        "for uploads and predictions, MLPFORGE_MAX_REQUEST_BYTES otherwise)."
                    ),
                )
                responses.setdefault(
                    "415",
                    problem_response(
                        "The body is compressed (Content-Encoding) or not UTF-8 (UTF-16/32)."
                    ),
                )


def install_openapi(app: FastAPI) -> None:
    """Generate the app's OpenAPI document once, with its problem responses filled in."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # caches it as app.openapi_schema; completed here, once
        _document_problems(document)
        _document_security(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
