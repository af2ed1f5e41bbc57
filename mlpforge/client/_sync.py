"""The synchronous client: ``Client(url, api_key)``, one method per API operation."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, overload

import httpx
import numpy as np

from mlpforge import __version__
from mlpforge.client import _calls as calls
from mlpforge.client._calls import Call, SSEDecoder
from mlpforge.client._errors import (
    ApiConnectionError,
    ApiError,
    JobFailedError,
    NotFoundError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
)
from mlpforge.client._models import (
    Dataset,
    Event,
    HistoryEntry,
    Identified,
    Job,
    Model,
    Prediction,
    Readiness,
    Search,
)
from mlpforge.client._pager import Pager

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
# The server sends a keep-alive comment every 10 s; a stream silent this long is reconnected.
STREAM_READ_TIMEOUT = 30.0
RECONNECT_SECS = 1.0
MAX_RECONNECT_SECS = 10.0


def reconnect_delay(failures: int, hint_ms: int | None) -> float:
    """The pause before reconnecting a stream: the server's hint, doubled per failure."""
    base = (hint_ms / 1000) if hint_ms is not None else RECONNECT_SECS
    return float(min(MAX_RECONNECT_SECS, base * 2 ** max(0, failures - 1)))


def _headers(api_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {"User-Agent": f"mlpforge-client/{__version__}"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers | dict(extra or {})


def _job_id(job: str | Identified) -> str:
    return job if isinstance(job, str) else job.id


class Client:
    """The mlpforge API over HTTP.

    ``url`` defaults to ``$MLPFORGE_URL`` (else http://127.0.0.1:8000) and ``api_key`` to
    ``$MLPFORGE_API_KEY``. Resources come back as the models of ``mlpforge.client`` (``Dataset``,
    ``Job``, ``Model``, ...), listings as iterators that follow the cursor, error answers as
    :class:`ApiError` subclasses. With ``max_retries`` > 0, 429 and 503 answers are retried
    after their Retry-After (at most ``max_retry_wait`` seconds each). Use it as a context
    manager, or call ``close()``.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 0,
        max_retry_wait: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = calls.resolve_url(url)
        self.api_key = calls.resolve_key(api_key)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=self.url,
            headers=_headers(self.api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # ------------------------------------------------------------------------------ plumbing

    def _send(self, call: Call[Any]) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method,
                    call.path,
                    params=call.params,
                    content=call.content,
                    files=call.files,
                    data=call.data,
                    headers=call.headers,
                )
            except httpx.TransportError as error:
                raise ApiConnectionError(self.url, error) from error
            if response.status_code < 400 or response.status_code in call.accept:
                return response
            problem = ApiError.from_response(response)
            pause = _retry_pause(problem, attempt, self.max_retries, self.max_retry_wait)
            if pause is None:
                raise problem
            time.sleep(pause)
            attempt += 1

    def _run(self, call: Call[T]) -> T:
        return call.parse(self._send(call))

    # ------------------------------------------------------------------------------ datasets

    def upload_dataset(
        self,
        data: Any,
        y: Any = None,
        *,
        target: str | None = None,
        name: str | None = None,
        feature_names: Sequence[str] | None = None,
        sample_weight: Any = None,
        weights: str | None = None,
        format: str = "npz",
        idempotency_key: str | None = None,
    ) -> Dataset:
        """Upload a dataset; ``POST /v1/datasets``.

        ``data`` is one of: a path to a CSV file (with a header row; ``target`` names the
        target column, default the last) or an ``.npz`` file (arrays ``X``, ``y``); a pandas
        DataFrame (sent as CSV; ``y`` a Series or array, or ``target`` a column of it); or a
        2-D array of numbers with ``y`` its targets (sent as ``.npz``, keeping dtypes, or as
        JSON with ``format="json"``). ``sample_weight``: per-row weights (arrays and
        DataFrames); ``weights``: the weight column of a CSV file.
        """
        return self._run(
            calls.upload_dataset(
                data,
                y,
                target=target,
                name=name,
                feature_names=feature_names,
                sample_weight=sample_weight,
                weights=weights,
                format=format,
                idempotency_key=idempotency_key,
            )
        )

    def list_datasets(self, *, limit: int | None = None, page_size: int = 100) -> Pager[Dataset]:
        """Datasets, newest first; ``limit`` caps how many are read (default: all)."""
        return Pager(
            lambda cursor, size: self._run(calls.list_datasets(cursor, size)),
            limit=limit,
            page_size=page_size,
        )

    def get_dataset(self, dataset: str | Identified) -> Dataset:
        return self._run(calls.get_dataset(dataset))

    def delete_dataset(self, dataset: str | Identified) -> None:
        self._run(calls.delete_dataset(dataset))

    def dataset_preview(
        self, dataset: str | Identified, *, rows: int | None = None
    ) -> dict[str, Any] | None:
        """The first rows and per-column statistics; None if the server has no preview."""
        try:
            return self._run(calls.dataset_preview(dataset, rows))
        except NotFoundError:
            self.get_dataset(dataset)  # raises NotFoundError if the dataset is what is missing
            return None

    # ------------------------------------------------------------------------------ jobs

    def train(
        self,
        dataset: str | Identified,
        task: str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        max_runtime_secs: int | None = None,
        device: str | None = None,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        init_model_id: str | None = None,
        test_dataset_id: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Job:
        """Start a training job; ``POST /v1/jobs``. ``params`` are scikit-learn's MLP
        parameters (``{"hidden_layer_sizes": [64, 32], "max_iter": 50}``); each keyword is
        sent only when given (as are ``extra`` body fields). Returns the queued job: see
        :meth:`wait`."""
        return self._run(
            calls.train(
                dataset,
                task,
                params,
                max_runtime_secs=max_runtime_secs,
                device=device,
                name=name,
                tags=tags,
                init_model_id=init_model_id,
                test_dataset_id=test_dataset_id,
                callback_url=callback_url,
                idempotency_key=idempotency_key,
                extra=extra,
            )
        )

    def list_jobs(
        self,
        *,
        status: str | None = None,
        dataset_id: str | None = None,
        tag: str | None = None,
        search_id: str | None = None,
        limit: int | None = None,
        page_size: int = 100,
    ) -> Pager[Job]:
        """Jobs, newest first, optionally filtered; ``limit`` caps how many are read."""
        return Pager(
            lambda cursor, size: self._run(
                calls.list_jobs(
                    cursor,
                    size,
                    status=status,
                    dataset_id=dataset_id,
                    tag=tag,
                    search_id=search_id,
                )
            ),
            limit=limit,
            page_size=page_size,
        )

    def get_job(self, job: str | Identified) -> Job:
        return self._run(calls.get_job(job))

    def cancel_job(self, job: str | Identified) -> Job:
        """Ask a queued or running job to stop (ConflictError once it has finished)."""
        return self._run(calls.cancel_job(job))

    def delete_job(self, job: str | Identified) -> None:
        """Delete a finished job (ConflictError while queued or running); its model stays."""
        self._run(calls.delete_job(job))

    def job_metrics(self, job: str | Identified) -> list[HistoryEntry]:
        """The per-epoch history: one entry per finished epoch."""
        return self._run(calls.job_metrics(job))

    def events(
        self,
        job: str | Identified,
        *,
        last_event_id: str | None = None,
        reconnect: bool = True,
        max_reconnects: int = 10,
        timeout: float | None = None,
    ) -> Iterator[Event]:
        """The job's server-sent events: one ``progress`` per epoch (``event.entry``), then
        the final ``status`` (``event.job``), after which the iterator ends.

        A dropped or timed-out connection is reopened with ``Last-Event-ID`` (after a pause:
        the server's ``retry`` hint, doubled per failure), so no event is lost or repeated;
        ApiConnectionError after ``max_reconnects`` failures in a row. ``timeout``: raise
        WaitTimeoutError when the job has not finished after that many seconds.
        """
        deadline = time.monotonic() + timeout if timeout is not None else None
        return self._events(
            calls.events_path("jobs", job), last_event_id, reconnect, max_reconnects, deadline
        )

    def _events(
        self,
        path: str,
        last_event_id: str | None,
        reconnect: bool,
        max_reconnects: int,
        deadline: float | None,
    ) -> Iterator[Event]:
        last = last_event_id
        failures = 0
        hint: int | None = None
        while True:
            read_timeout = STREAM_READ_TIMEOUT
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeoutError(path.split("/")[3], 0)
                read_timeout = min(read_timeout, remaining)
            headers = {"Accept": "text/event-stream"}
            if last:
                headers["Last-Event-ID"] = last
            decoder = SSEDecoder()
            received = 0
            try:
                with self._http.stream(
                    "GET",
                    path,
                    headers=headers,
                    timeout=httpx.Timeout(self._timeout, read=read_timeout),
                ) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise ApiError.from_response(response)
                    for line in response.iter_lines():
                        event = decoder.feed(line)
                        hint = decoder.retry if decoder.retry is not None else hint
                        if event is None:
                            continue
                        received += 1
                        last = decoder.last_id or last
                        yield event
                        if event.final:
                            return
                        if deadline is not None and time.monotonic() >= deadline:
                            raise WaitTimeoutError(path.split("/")[3], 0)
            except httpx.TransportError as error:
                if deadline is not None and time.monotonic() >= deadline:
                    raise WaitTimeoutError(path.split("/")[3], 0) from None
                failures = 1 if received else failures + 1
                if not reconnect or failures > max_reconnects:
                    raise ApiConnectionError(self.url, error) from error
            else:
                # Closed before the final event (the server's stream time limit, a proxy).
                if not reconnect:
                    return
                failures = 0 if received else failures + 1
                if failures > max_reconnects:
                    raise ApiConnectionError(
                        self.url, RuntimeError(f"{path} keeps closing without events")
                    )
            time.sleep(reconnect_delay(failures, hint) if failures else 0.0)

    def wait(
        self,
        job: str | Identified,
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
        use_events: bool = True,
        on_event: Callable[[Event], None] | None = None,
        raise_on_failure: bool = False,
    ) -> Job:
        """Block until the job has finished; returns its final body.

        Follows the event stream (``on_event`` sees each event) and falls back to polling
        ``GET /v1/jobs/{id}`` every ``poll_interval`` seconds when streams are refused or
        unavailable. WaitTimeoutError after ``timeout`` seconds (the job goes on);
        JobFailedError if it failed or was cancelled and ``raise_on_failure``.
        """
        job_id = _job_id(job)
        started = time.monotonic()
        deadline = started + timeout if timeout is not None else None
        if use_events:
            try:
                path = calls.events_path("jobs", job_id)
                for event in self._events(path, None, True, 5, deadline):
                    if on_event is not None:
                        on_event(event)
                    if event.final:
                        return _finished(event.job or self.get_job(job_id), raise_on_failure)
            except WaitTimeoutError:
                raise WaitTimeoutError(job_id, timeout or 0, self.get_job(job_id)) from None
            except (NotFoundError, RateLimitError, ServerError, ApiConnectionError):
                pass  # no stream (an older server, the stream cap, a proxy): poll instead
        while True:
            current = self.get_job(job_id)
            if current.finished:
                return _finished(current, raise_on_failure)
            pause = poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeoutError(job_id, timeout or 0, current)
                pause = min(pause, remaining)
            time.sleep(pause)

    # ------------------------------------------------------------------------------ models

    def list_models(self, *, limit: int | None = None, page_size: int = 100) -> Pager[Model]:
        return Pager(
            lambda cursor, size: self._run(calls.list_models(cursor, size)),
            limit=limit,
            page_size=page_size,
        )

    def get_model(self, model: str | Identified) -> Model:
        return self._run(calls.get_model(model))

    def delete_model(self, model: str | Identified) -> None:
        self._run(calls.delete_model(model))

    def predict_full(self, model: str | Identified, X: Any) -> Prediction:
        """Predictions, and for classifiers probabilities and classes, as numpy arrays.
        Large inputs are sent in several requests."""
        return calls.join_predictions([self._run(call) for call in calls.predict_chunks(model, X)])

    def predict(self, model: str | Identified, X: Any) -> np.ndarray:
        """Predicted labels (their original type: strings stay strings) or values."""
        return self.predict_full(model, X).predictions

    def predict_proba(self, model: str | Identified, X: Any) -> np.ndarray:
        """Class probabilities [n_rows, n_classes], in the order of the model's ``classes``."""
        probabilities = self.predict_full(model, X).probabilities
        if probabilities is None:
            raise ValueError("predict_proba needs a classification model")
        return probabilities

    @overload
    def export(self, model: str | Identified, format: str = ..., path: None = None) -> bytes: ...

    @overload
    def export(
        self, model: str | Identified, format: str = ..., *, path: str | os.PathLike[str]
    ) -> Path: ...

    @overload
    def export(
        self, model: str | Identified, format: str, path: str | os.PathLike[str]
    ) -> Path: ...

    def export(
        self,
        model: str | Identified,
        format: str = "safetensors",
        path: str | os.PathLike[str] | None = None,
    ) -> bytes | Path:
        """The model as a file: ``safetensors``, ``onnx`` or ``skops``. Returns the bytes, or
        writes them to ``path`` (a folder: ``{model_id}.{format}`` inside it) and returns it."""
        blob = self._run(calls.export(model, format))
        if path is None:
            return blob
        target = calls.export_target(model, format, path)
        target.write_bytes(blob)
        return target

    # ------------------------------------------------------------------------------ searches

    def create_search(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Search:
        """Start a hyper-parameter search; ``body`` as ``POST /v1/searches`` takes it."""
        return self._run(calls.create_search(body, idempotency_key))

    def list_searches(self, *, limit: int | None = None, page_size: int = 100) -> Pager[Search]:
        return Pager(
            lambda cursor, size: self._run(calls.list_searches(cursor, size)),
            limit=limit,
            page_size=page_size,
        )

    def get_search(self, search: str | Identified) -> Search:
        return self._run(calls.get_search(search))

    def cancel_search(self, search: str | Identified) -> Search:
        """Cancel its queued and running trials and start no more (ConflictError once
        finished)."""
        return self._run(calls.cancel_search(search))

    def delete_search(self, search: str | Identified) -> None:
        """Delete a finished search with its trial jobs (ConflictError before); models stay."""
        self._run(calls.delete_search(search))

    def search_events(
        self, search: str | Identified, *, last_event_id: str | None = None
    ) -> Iterator[Event]:
        return self._events(calls.events_path("searches", search), last_event_id, True, 10, None)

    # ------------------------------------------------------------------------------ operations

    def health(self) -> dict[str, Any]:
        """``GET /healthz``: ``{"status": "ok"}`` while the server process lives."""
        return self._run(calls.health())

    def readiness(self) -> Readiness:
        """``GET /readyz``: Redis and live workers per queue; ``ready`` is False on a 503."""
        return self._run(calls.readiness())


def _finished(job: Job, raise_on_failure: bool) -> Job:
    if raise_on_failure and not job.succeeded:
        raise JobFailedError(job)
    return job


def _retry_pause(error: ApiError, attempt: int, max_retries: int, max_wait: float) -> float | None:
    """How long to wait before retrying after ``error``; None: do not retry."""
    if attempt >= max_retries or error.status not in (429, 503):
        return None
    after = getattr(error, "retry_after", None)
    return float(min(max_wait, after if after is not None else 2.0**attempt))
