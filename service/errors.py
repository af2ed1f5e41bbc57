"""One error shape for every 4xx and 5xx: RFC 9457 problem+json."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import kombu.exceptions
import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import ParamError
from store.blobs import BlobStoreError
from store.connection import PoolExhausted
from store.datasets import TooLargeForRedis

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMAS = "#/components/schemas/"


def problem_response(
    description: str,
    *,
    schema: str = "Problem",
    headers: dict[str, str] | None = None,
    example: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI entry of a problem+json response (for a route's ``responses=``).

    ``schema`` names a model of ``service.schemas`` that ``service.openapi`` registers;
    ``headers`` maps each header always sent with this response to its description;
    ``example`` is a body it answers (see `problem_body`). Without one, ``service.openapi``
    fills in an example for the status (one for each status, so that Swagger UI does not show
    the schema's 404 under every status).
    """
    media: dict[str, Any] = {"schema": {"$ref": PROBLEM_SCHEMAS + schema}}
    if example is not None:
        media["example"] = example
    entry: dict[str, Any] = {"description": description, "content": {PROBLEM_JSON: media}}
    if headers:
        entry["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return entry


RETRY_AFTER = {"Retry-After": "Seconds to wait before retrying."}


def problem_body(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """The problem+json body the API answers (also the documentation's examples)."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"https://mlpforge.dev/problems/{phrase.lower().replace(' ', '-')}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


#: An example body for each status the API answers with, in the words it uses.
PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    400: problem_body(400, "the request body is not valid UTF-8 (invalid start byte at byte 0)"),
    401: problem_body(
        401, "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
    ),
    404: problem_body(404, "job 'job_0193a7b2c3d4e5f6a7b8c9d0' does not exist"),
    409: problem_body(409, "the resource is not in a state that allows this request"),
    413: problem_body(
        413,
        "the request body exceeds this route's limit of 65,536 bytes (MLPFORGE_MAX_REQUEST_BYTES)",
    ),
    415: problem_body(415, "Content-Encoding 'gzip' is not supported: send the body uncompressed"),
    422: problem_body(
        422,
        "body.params.max_iter: Input should be greater than 0",
        errors=[{"loc": ["body", "params", "max_iter"], "msg": "Input should be greater than 0"}],
    ),
    429: problem_body(429, "rate limit of 100 requests/s exceeded; retry in 0.42 s"),
    500: problem_body(500, "an unexpected error occurred; it has been logged"),
    503: problem_body(503, "the job store (Redis) is unavailable; retry shortly"),
    507: problem_body(
        507,
        "the store (Redis) is full: nothing was saved; delete unused datasets and models, "
        "or ask the operator to give Redis more memory",
    ),
}

#: What any /v1 operation may answer besides its own responses.
V1_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: problem_response(
        "No valid API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
        headers={"WWW-Authenticate": "The scheme to authenticate with (Bearer)."},
    ),
    422: problem_response("The request is invalid; `errors` names each problem and its place."),
    429: problem_response(
        "Too many requests, or too many active jobs, for this tenant.", headers=RETRY_AFTER
    ),
    503: problem_response(
        "The job store (Redis) is unavailable, or the server is busy.", headers=RETRY_AFTER
    ),
}


class ApiError(Exception):
    """A problem to report to the client, with the status it deserves."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.title = title


def invalid(loc: list[Any], msg: str) -> ApiError:
    """A 422 for one problem at ``loc`` (``["body", "params", "max_iter"]``)."""
    where = ".".join(str(part) for part in loc)
    return ApiError(422, f"{where}: {msg}", errors=[{"loc": loc, "msg": msg}])


# Ids are echoed in 404s; a malformed one may be long, or not an id at all.
SHOWN_ID_CHARS = 40


def not_found(kind: str, resource_id: str) -> ApiError:
    shown = resource_id[:SHOWN_ID_CHARS] + ("…" if len(resource_id) > SHOWN_ID_CHARS else "")
    return ApiError(404, f"{kind} {shown!r} does not exist")


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    title: str | None = None,
) -> JSONResponse:
    body = problem_body(status, detail, errors=errors, title=title)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [_issue(err) for err in exc.errors()]


def _issue(err: dict[str, Any]) -> dict[str, Any]:
    loc, msg = list(err.get("loc", ())), str(err.get("msg", ""))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, ParamError):
        # The engine checked the params and named the field: point there, in its words.
        loc, msg = [*loc, cause.field], cause.message
    return {"loc": loc, "msg": msg, "type": err.get("type")}


def _summary(errors: list[dict[str, Any]]) -> str:
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem(
            exc.status, exc.detail, errors=exc.errors, headers=exc.headers, title=exc.title
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        return problem(422, _summary(errors), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            # FastAPI's body parsing says only "There was an error parsing the body".
            detail = f"the request body is not valid UTF-8 ({cause.reason} at byte {cause.start})"
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(redis.ConnectionError)
    @app.exception_handler(redis.TimeoutError)
    @app.exception_handler(kombu.exceptions.OperationalError)
    async def _redis_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("Redis unavailable: %s", exc)
        return problem(
            503, "the job store (Redis) is unavailable; retry shortly", headers={"Retry-After": "2"}
        )

    # A ConnectionError too, so it must be told apart here: Redis is fine, this process is not.
    @app.exception_handler(PoolExhausted)
    async def _busy(_: Request, exc: Exception) -> JSONResponse:
        log.warning("Redis connection pool exhausted: %s", exc)
        return problem(
            503,
            "the server is busy (every Redis connection of this API process is in use); "
            "retry shortly",
            headers={"Retry-After": "1"},
            title="Server Busy",
        )

    @app.exception_handler(redis.exceptions.OutOfMemoryError)
    async def _redis_full(_: Request, exc: Exception) -> JSONResponse:
        log.error("Redis is out of memory (maxmemory reached): %s", exc)
        return problem(
            507,
            "the store (Redis) is full: nothing was saved; delete unused datasets and models, "
            "or ask the operator to give Redis more memory",
        )

    @app.exception_handler(TooLargeForRedis)
    async def _too_large_for_redis(_: Request, exc: Exception) -> JSONResponse:
        # Nothing was written: the size is checked before the transaction.
        return problem(413, str(exc))

    @app.exception_handler(BlobStoreError)
    async def _blobs_down(_: Request, exc: Exception) -> JSONResponse:
        # The message names the blob and the store, never a credential.
        log.warning("blob store unavailable: %s", exc)
        return problem(
            503,
            "the blob store (MLPFORGE_BLOB_URL) is unavailable; retry shortly",
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "an unexpected error occurred; it has been logged")
