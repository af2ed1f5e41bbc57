"""The OpenAPI document: every error the API can answer is documented as problem+json."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from service.errors import (
    PROBLEM_EXAMPLES,
    PROBLEM_JSON,
    invalid,
    not_found,
    problem_body,
    problem_response,
)
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
            if (
                method == "post"
                and path.startswith("/v1/")
                and operation.get("operationId") not in READ_ONLY_POSTS
            ):
                responses.setdefault(
                    "507",
                    problem_response(
                        "The store (Redis) is full (maxmemory): nothing was saved. Reads and "
                        "deletes still work."
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
        _document_problem_examples(document)
        _document_security(document)
        _order_tags(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


# POSTs that write nothing to Redis, so cannot meet a full one.
READ_ONLY_POSTS = frozenset({"predict"})

# Examples whose words depend on the operation, in the API's own words.
MAX_BODY_EXAMPLE = problem_body(
    413,
    "the request body exceeds this route's limit of 67,108,864 bytes (MLPFORGE_MAX_BODY_BYTES)",
)


def _invalid_example(loc: list[Any], msg: str) -> dict[str, Any]:
    refusal = invalid(loc, msg)
    return problem_body(422, refusal.detail, errors=refusal.errors)


OPERATION_EXAMPLES: dict[tuple[str, int], dict[str, Any]] = {
    ("create_dataset", 413): MAX_BODY_EXAMPLE,
    ("predict", 413): MAX_BODY_EXAMPLE,
    ("create_dataset", 415): problem_body(
        415,
        "unsupported Content-Type 'text/plain': send application/json or multipart/form-data "
        "with a CSV or .npz file in the field 'file'",
    ),
    ("create_dataset", 422): _invalid_example(
        ["body", "features", 3], "row 3 has 3 values, expected 2 (the width of row 0)"
    ),
    ("create_job", 422): _invalid_example(
        ["body", "params", "max_iter"], "Input should be greater than 0"
    ),
    ("predict", 422): _invalid_example(
        ["body", "inputs", 1], "row 1 has 3 values; this model expects 2 features"
    ),
    ("create_job", 429): problem_body(
        429,
        "this tenant already has 1000 queued or running jobs (MLPFORGE_MAX_ACTIVE_JOBS); "
        "wait for some to finish",
    ),
    ("stream_job_events", 429): problem_body(
        429,
        "this tenant already has 20 open event streams (MLPFORGE_MAX_STREAMS_PER_TENANT); "
        "close one, or retry later",
    ),
    ("cancel_job", 409): problem_body(
        409, "job job_0193a7b2c3d4e5f6a7b8c9d0 already finished (succeeded)"
    ),
    ("delete_job", 409): problem_body(
        409,
        "job job_0193a7b2c3d4e5f6a7b8c9d0 is running; cancel it first "
        "(POST /v1/jobs/job_0193a7b2c3d4e5f6a7b8c9d0/cancel), then delete it once it has "
        "finished",
    ),
}
EXAMPLE_IDS = {
    "dataset": "ds_0193a7b2c3d4e5f6a7b8c9d0",
    "job": "job_0193a7b2c3d4e5f6a7b8c9d0",
    "model": "mdl_0193a7b2c3d4e5f6a7b8c9d0",
    "search": "srch_0193a7b2c3d4e5f6a7b8c9d0",
}
NOT_READY_FIELDS = {"redis": "unavailable", "workers": 0, "queues": {}}


def _not_found_example(description: str) -> dict[str, Any]:
    """The 404 of the resource the description names first (a job's route may 404 on its
    dataset)."""
    text = description.lower()
    named = [(text.find(kind), kind) for kind in EXAMPLE_IDS if kind in text]
    kind = min(named)[1] if named else "job"
    return problem_body(404, not_found(kind, EXAMPLE_IDS[kind]).detail)


def _validation_example(operation: dict[str, Any]) -> dict[str, Any]:
    """A 422 of an operation without one of its own: a query parameter over its maximum, or
    repeated (`service.access` refuses a repeated one on every route)."""
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    for parameter in query:
        maximum = parameter.get("schema", {}).get("maximum")
        if maximum is not None:
            msg = f"Input should be less than or equal to {maximum}"
            refusal = invalid(["query", parameter["name"]], msg)
            errors = [{**issue, "type": "less_than_equal"} for issue in refusal.errors or []]
            return problem_body(422, refusal.detail, errors=errors)
    if "requestBody" in operation:
        return _invalid_example(["body"], "invalid JSON: unexpected character: line 1 column 2")
    name = query[0]["name"] if query else "after"
    return _invalid_example(["query", name], "given more than once; send it once")


def _example(operation: dict[str, Any], status: int, response: dict[str, Any]) -> dict[str, Any]:
    operation_id = operation.get("operationId", "")
    description = response.get("description", "")
    if (operation_id, status) in OPERATION_EXAMPLES:
        return OPERATION_EXAMPLES[operation_id, status]
    if status == 404:
        return _not_found_example(description)
    if status == 422:
        return _validation_example(operation)
    return PROBLEM_EXAMPLES.get(status) or problem_body(status, description)


def _document_problem_examples(document: dict[str, Any]) -> None:
    """Give every problem response without an example one of its own status, in the words of
    its operation (Swagger UI otherwise shows the Problem schema's example, a 404, under
    each status)."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for code, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get(PROBLEM_JSON)
                if media is None or "example" in media or not str(code).isdigit():
                    continue
                example = _example(operation, int(code), response)
                if media.get("schema", {}).get("$ref", "").endswith("/NotReady"):
                    example = {
                        **problem_body(int(code), "Redis does not answer"),
                        **NOT_READY_FIELDS,
                    }
                media["example"] = example


# The workflow's order: upload, train, use; whatever else a router adds (searches, inference)
# comes after models, and the operations' routes last.
TAG_ORDER = ("datasets", "jobs", "models")
LAST_TAGS = ("operations",)
TAG_DESCRIPTIONS = {
    "datasets": "Step 1: upload training data (JSON, CSV or .npz); list, preview, delete it.",
    "jobs": "Step 2: train on it; follow the loss live, cancel, read the history.",
    "models": "Step 3: use what was trained: predict, export.",
    "operations": "Liveness, readiness and metrics, without a key.",
}


def _order_tags(document: dict[str, Any]) -> None:
    """The document's ``tags`` in the workflow's order: Swagger UI and Redoc list the groups
    in this order (they would otherwise follow the first path of each, /healthz first)."""
    declared = {tag["name"]: tag for tag in document.get("tags", [])}
    used: list[str] = []
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                used.extend(name for name in operation.get("tags", []) if name not in used)
    used.extend(name for name in declared if name not in used)

    def rank(name: str) -> tuple[int, int]:
        if name in TAG_ORDER:
            return 0, TAG_ORDER.index(name)
        if name in LAST_TAGS:
            return 2, LAST_TAGS.index(name)
        return 1, used.index(name)

    document["tags"] = [
        declared.get(name)
        or (
            {"name": name, "description": TAG_DESCRIPTIONS[name]}
            if name in TAG_DESCRIPTIONS
            else {"name": name}
        )
        for name in sorted(used, key=rank)
    ]
