"""The operations that take more than one request, written once for both clients: retries,
event streams that reconnect, waiting for a job, paging, predicting in chunks.

Each is a generator of effects (see :mod:`._transport`), run by ``Client`` or ``AsyncClient``;
``yield from request(client, call)`` is one request, retried as the client says.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, TypeVar

import httpx

from mlpforge.client import _calls as calls
from mlpforge.client._base import BaseClient
from mlpforge.client._calls import Call, Listing
from mlpforge.client._errors import (
    ApiConnectionError,
    ApiError,
    JobFailedError,
    NotFoundError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
)
from mlpforge.client._models import Event, Identified, Job, Prediction, Resource
from mlpforge.client._predictions import join_predictions, predict_chunks
from mlpforge.client._sse import SSEDecoder
from mlpforge.client._transport import NEXT_LINE, Emit, Open, Send, Sleep, Steps

T = TypeVar("T")
R = TypeVar("R", bound=Resource)

# The server sends a keep-alive comment every 10 s; a stream silent this long is reconnected.
STREAM_READ_TIMEOUT = 30.0
RECONNECT_SECS = 1.0
MAX_RECONNECT_SECS = 10.0
MAX_PAGE = 100  # the server's largest ?limit=


def request(client: BaseClient, call: Call[T]) -> Steps[T]:
    """One call, its answer parsed; 429 and 503 retried as ``client.max_retries`` allows."""
    attempt = 0
    while True:
        try:
            response = yield Send(call)
        except httpx.TransportError as error:
            raise ApiConnectionError(client.url, error) from error
        if response.status_code < 400 or response.status_code in call.accept:
            return call.parse(response)
        problem = ApiError.from_response(response)
        pause = retry_pause(problem, attempt, client.max_retries, client.max_retry_wait)
        if pause is None:
            raise problem
        yield Sleep(pause)
        attempt += 1


def retry_pause(error: ApiError, attempt: int, max_retries: int, max_wait: float) -> float | None:
    """How long to wait before retrying after ``error``; None: do not retry."""
    if attempt >= max_retries or error.status not in (429, 503):
        return None
    after = getattr(error, "retry_after", None)
    return float(min(max_wait, after if after is not None else 2.0**attempt))


def reconnect_delay(failures: int, hint_ms: int | None) -> float:
    """The pause before reconnecting a stream: the server's hint, doubled per failure."""
    base = (hint_ms / 1000) if hint_ms is not None else RECONNECT_SECS
    return float(min(MAX_RECONNECT_SECS, base * 2 ** max(0, failures - 1)))


def deadline_after(timeout: float | None) -> float | None:
    return time.monotonic() + timeout if timeout is not None else None


def events(
    client: BaseClient,
    path: str,
    last_event_id: str | None,
    reconnect: bool,
    max_reconnects: int,
    deadline: float | None,
) -> Steps[Event | None]:
    """Emit each event of the stream at ``path``, reconnecting with ``Last-Event-ID`` after a
    drop; returns the final event (None where the stream closed and ``reconnect`` is off)."""
    last = last_event_id
    failures = 0
    hint: int | None = None
    resource_id = path.split("/")[3]
    while True:
        read_timeout = STREAM_READ_TIMEOUT
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(resource_id, 0)
            read_timeout = min(read_timeout, remaining)
        headers = {"Accept": "text/event-stream"} | ({"Last-Event-ID": last} if last else {})
        decoder = SSEDecoder()
        received = 0
        try:
            timeout = httpx.Timeout(client.timeout, read=read_timeout)
            response = yield Open(path, headers, timeout)
            if response.status_code >= 400:
                raise ApiError.from_response(response)
            while (line := (yield NEXT_LINE)) is not None:
                event = decoder.feed(line)
                hint = decoder.retry if decoder.retry is not None else hint
                if event is None:
                    continue
                received += 1
                last = decoder.last_id or last
                yield Emit(event)
                if event.final:
                    return event
                if deadline is not None and time.monotonic() >= deadline:
                    raise WaitTimeoutError(resource_id, 0)
        except httpx.TransportError as error:
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(resource_id, 0) from None
            failures = 1 if received else failures + 1
            if not reconnect or failures > max_reconnects:
                raise ApiConnectionError(client.url, error) from error
        else:
            # Closed before the final event (the server's stream time limit, a proxy).
            if not reconnect:
                return None
            failures = 0 if received else failures + 1
            if failures > max_reconnects:
                raise ApiConnectionError(
                    client.url, RuntimeError(f"{path} keeps closing without events")
                )
        yield Sleep(reconnect_delay(failures, hint) if failures else 0.0)


def wait(
    client: BaseClient,
    job: str | Identified,
    timeout: float | None,
    poll_interval: float,
    use_events: bool,
    raise_on_failure: bool,
) -> Steps[Job]:
    """Follow the job's events (emitting each) to its end, or poll where there is no stream."""
    job_id = calls.plain_id(job)
    deadline = deadline_after(timeout)
    if use_events:
        try:
            path = calls.JOBS.events_path(job_id)
            final = yield from events(client, path, None, True, 5, deadline)
            if final is not None:
                done = final.job or (yield from request(client, calls.JOBS.get(job_id)))
                return _finished(done, raise_on_failure)
        except WaitTimeoutError:
            current = yield from request(client, calls.JOBS.get(job_id))
            raise WaitTimeoutError(job_id, timeout or 0, current) from None
        except (NotFoundError, RateLimitError, ServerError, ApiConnectionError):
            pass  # no stream (an older server, the stream cap, a proxy): poll instead
    while True:
        current = yield from request(client, calls.JOBS.get(job_id))
        if current.finished:
            return _finished(current, raise_on_failure)
        pause = poll_interval
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(job_id, timeout or 0, current)
            pause = min(pause, remaining)
        yield Sleep(pause)


def _finished(job: Job, raise_on_failure: bool) -> Job:
    if raise_on_failure and not job.succeeded:
        raise JobFailedError(job)
    return job


def pages(
    client: BaseClient,
    listing: Listing[R],
    limit: int | None,
    page_size: int,
) -> Steps[None]:
    """Emit each page of a listing, following ``next_cursor``, until ``limit`` items."""
    cursor: str | None = None
    seen = 0
    size = min(max(1, page_size), MAX_PAGE)
    while limit is None or seen < limit:
        asked = size if limit is None else max(1, min(size, limit - seen))
        page = yield from request(client, listing(cursor, asked))
        if limit is not None:
            page = page.model_copy(update={"data": page.data[: limit - seen]})
        seen += len(page.data)
        yield Emit(page)
        # A filtered page may be empty and still not the last (the server reads a bounded
        # number of records per request): only the cursor says when the list ends.
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def dataset_preview(
    client: BaseClient, dataset: str | Identified, rows: int | None
) -> Steps[dict[str, Any] | None]:
    try:
        return (yield from request(client, calls.dataset_preview(dataset, rows)))
    except NotFoundError:
        # Raises NotFoundError if the dataset is what is missing, not the preview route.
        yield from request(client, calls.DATASETS.get(dataset))
        return None


def predict(client: BaseClient, model: str | Identified, X: Any) -> Steps[Prediction]:
    parts = []
    for call in predict_chunks(model, X):
        parts.append((yield from request(client, call)))
    return join_predictions(parts)


def probabilities(prediction: Prediction) -> Any:
    if prediction.probabilities is None:
        raise ValueError("predict_proba needs a classification model")
    return prediction.probabilities


def export(
    client: BaseClient,
    model: str | Identified,
    format: str,
    path: str | os.PathLike[str] | None,
) -> Steps[bytes | Path]:
    blob = yield from request(client, calls.export(model, format))
    if path is None:
        return blob
    target = calls.export_target(model, format, path)
    target.write_bytes(blob)
    return target
