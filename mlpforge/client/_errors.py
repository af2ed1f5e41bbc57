"""Exceptions of the client: one per problem+json answer the API gives, plus the client's own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from mlpforge.client._models import Job


class MlpforgeError(Exception):
    """Base of every exception the client raises."""


class ApiConnectionError(MlpforgeError):
    """The server could not be reached (refused, DNS, timed out, connection dropped)."""

    def __init__(self, url: str, cause: BaseException) -> None:
        super().__init__(f"cannot reach {url}: {type(cause).__name__}: {cause}".rstrip(": "))
        self.url = url
        self.cause = cause


class ApiError(MlpforgeError):
    """An error answer of the API: the fields of its RFC 9457 problem+json body.

    ``status``, ``title``, ``detail``, ``type`` and ``errors`` (a list of ``{"loc": [...],
    "msg": "..."}``, for invalid requests) are the body's; ``body`` is the whole parsed body (a
    dict; extra fields such as ``/readyz``'s ``workers`` stay there) and ``headers`` the
    response's headers.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
        headers: httpx.Headers | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.detail = detail
        self.title = title or ""
        self.type = type or "about:blank"
        self.errors = list(errors or [])
        self.body = body or {}
        self.headers = headers or httpx.Headers()
        self.method = method
        self.url = url
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.status} {self.title}".strip()
        lines = [f"{head}: {self.detail}" if self.detail else head]
        lines += [f"  {loc}: {msg}" for loc, msg in self.error_lines()]
        return "\n".join(lines)

    def error_lines(self) -> list[tuple[str, str]]:
        """Each of ``errors`` as ``("body.params.max_iter", "Input should be ...")``."""
        lines = []
        for issue in self.errors:
            loc = issue.get("loc") if isinstance(issue, dict) else None
            where = ".".join(str(part) for part in loc) if isinstance(loc, list) else str(loc or "")
            msg = issue.get("msg", "") if isinstance(issue, dict) else str(issue)
            lines.append((where, str(msg)))
        return lines

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """The exception of the right subclass for an error answer."""
        body: dict[str, Any] = {}
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            body = parsed
        status = response.status_code
        detail = body.get("detail")
        if not isinstance(detail, str):
            # Not a problem body (a proxy's page, or FastAPI's plain {"detail": [...]}).
            detail = str(detail) if detail is not None else response.text[:500].strip()
        errors = body.get("errors")
        klass = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
        request = response.request if _has_request(response) else None
        return klass(
            status,
            detail,
            title=body.get("title") or response.reason_phrase,
            type=body.get("type"),
            errors=errors if isinstance(errors, list) else None,
            body=body,
            headers=response.headers,
            method=request.method if request is not None else None,
            url=str(request.url) if request is not None else None,
        )


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises RuntimeError on a bare Response
    except RuntimeError:
        return False
    return True


class BadRequestError(ApiError):
    """400."""


class AuthenticationError(ApiError):
    """401: no API key, or not a valid one."""


class PermissionDeniedError(ApiError):
    """403."""


class NotFoundError(ApiError):
    """404: no such resource (or another tenant's, which looks the same)."""


class ConflictError(ApiError):
    """409: the resource is not in a state that allows this (cancel a finished job, ...)."""


class PayloadTooLargeError(ApiError):
    """413: the body, the dataset or the rows are over a limit of the server."""


class ValidationError(ApiError):
    """422: the request is invalid; ``errors`` names each problem and where it is."""


class RateLimitError(ApiError):
    """429: too many requests, active jobs or open streams; see ``retry_after``."""

    @property
    def retry_after(self) -> float | None:
        return retry_after_secs(self.headers)


class ServerError(ApiError):
    """5xx."""


class ServiceUnavailableError(ServerError):
    """503: the server's store (Redis) does not answer, or it is busy; see ``retry_after``."""

    @property
    def retry_after(self) -> float | None:
        return retry_after_secs(self.headers)


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: ValidationError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


class JobFailedError(MlpforgeError):
    """A job the caller waited for ended ``failed`` or ``cancelled``; ``job`` is its body."""

    def __init__(self, job: Job) -> None:
        error = job.error or {}
        reason = f": {error.get('type', 'error')}: {error.get('message', '')}" if error else ""
        super().__init__(f"job {job.id} {job.status}{reason}".rstrip(": "))
        self.job = job


class WaitTimeoutError(MlpforgeError, TimeoutError):
    """``wait`` gave up before the job finished (the job itself goes on)."""

    def __init__(self, job_id: str, timeout: float, job: Job | None = None) -> None:
        status = f" (still {job.status})" if job is not None else ""
        super().__init__(f"job {job_id} did not finish within {timeout:g} s{status}")
        self.job_id = job_id
        self.job = job


def retry_after_secs(headers: httpx.Headers) -> float | None:
    """The Retry-After header in seconds (delta-seconds only; a date is ignored)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
