"""The synchronous client: ``Client(url, api_key)``, one method per API operation.

Each method says what to send (:mod:`._calls`) or which steps to take (:mod:`._steps`);
:class:`~._transport.SyncTransport` carries them out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, overload

import httpx
import numpy as np

from mlpforge.client import _calls as calls
from mlpforge.client import _steps as steps
from mlpforge.client._base import DEFAULT_TIMEOUT, BaseClient
from mlpforge.client._calls import Call, Listing
from mlpforge.client._models import (
    Dataset,
    Event,
    HistoryEntry,
    Identified,
    Job,
    Model,
    Prediction,
    Readiness,
    Resource,
    Search,
)
from mlpforge.client._pager import Pager
from mlpforge.client._transport import SyncTransport
from mlpforge.client._uploads import upload_dataset

T = TypeVar("T")
R = TypeVar("R", bound=Resource)


class Client(BaseClient):
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
        super().__init__(url, api_key, timeout, max_retries, max_retry_wait)
        http = httpx.Client(**self._http_options(headers), transport=transport)
        self._transport = SyncTransport(http)

    def close(self) -> None:
        self._transport.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, call: Call[T]) -> T:
        return self._transport.run(steps.request(self, call))

    def _pager(self, listing: Listing[R], limit: int | None, page_size: int) -> Pager[R]:
        return Pager(
            lambda: self._transport.iterate(steps.pages(self, listing, limit, page_size)),
            limit=limit,
            page_size=page_size,
        )

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
        return self._call(
            upload_dataset(data, y, target=target, name=name, feature_names=feature_names,
                           sample_weight=sample_weight, weights=weights, format=format,
                           idempotency_key=idempotency_key)
        )  # fmt: skip

    def list_datasets(self, *, limit: int | None = None, page_size: int = 100) -> Pager[Dataset]:
        """Datasets, newest first; ``limit`` caps how many are read (default: all)."""
        return self._pager(calls.DATASETS.page, limit, page_size)

    def get_dataset(self, dataset: str | Identified) -> Dataset:
        return self._call(calls.DATASETS.get(dataset))

    def delete_dataset(self, dataset: str | Identified) -> None:
        self._call(calls.DATASETS.delete(dataset))

    def dataset_preview(
        self, dataset: str | Identified, *, rows: int | None = None
    ) -> dict[str, Any] | None:
        """The first rows and per-column statistics; None if the server has no preview."""
        return self._transport.run(steps.dataset_preview(self, dataset, rows))

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
        return self._call(
            calls.train(dataset, idempotency_key, extra, task=task, params=params,
                        max_runtime_secs=max_runtime_secs, device=device, name=name, tags=tags,
                        init_model_id=init_model_id, test_dataset_id=test_dataset_id,
                        callback_url=callback_url)
        )  # fmt: skip

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
        filters = {"status": status, "dataset_id": dataset_id, "tag": tag, "search_id": search_id}
        return self._pager(
            lambda cursor, size: calls.JOBS.page(cursor, size, **filters), limit, page_size
        )

    def get_job(self, job: str | Identified) -> Job:
        return self._call(calls.JOBS.get(job))

    def cancel_job(self, job: str | Identified) -> Job:
        """Ask a queued or running job to stop (ConflictError once it has finished)."""
        return self._call(calls.JOBS.act(job, "cancel"))

    def delete_job(self, job: str | Identified) -> None:
        """Delete a finished job (ConflictError while queued or running); its model stays."""
        self._call(calls.JOBS.delete(job))

    def job_metrics(self, job: str | Identified) -> list[HistoryEntry]:
        """The per-epoch history: one entry per finished epoch."""
        return self._call(calls.job_metrics(job))

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
        path, deadline = calls.JOBS.events_path(job), steps.deadline_after(timeout)
        events = steps.events(self, path, last_event_id, reconnect, max_reconnects, deadline)
        return self._transport.iterate(events)

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
        waiting = steps.wait(self, job, timeout, poll_interval, use_events, raise_on_failure)
        return self._transport.run(waiting, on_event)

    # ------------------------------------------------------------------------------ models

    def list_models(self, *, limit: int | None = None, page_size: int = 100) -> Pager[Model]:
        return self._pager(calls.MODELS.page, limit, page_size)

    def get_model(self, model: str | Identified) -> Model:
        return self._call(calls.MODELS.get(model))

    def delete_model(self, model: str | Identified) -> None:
        self._call(calls.MODELS.delete(model))

    def predict_full(self, model: str | Identified, X: Any) -> Prediction:
        """Predictions, and for classifiers probabilities and classes, as numpy arrays.
        Large inputs are sent in several requests."""
        return self._transport.run(steps.predict(self, model, X))

    def predict(self, model: str | Identified, X: Any) -> np.ndarray:
        """Predicted labels (their original type: strings stay strings) or values."""
        return self.predict_full(model, X).predictions

    def predict_proba(self, model: str | Identified, X: Any) -> np.ndarray:
        """Class probabilities [n_rows, n_classes], in the order of the model's ``classes``."""
        return steps.probabilities(self.predict_full(model, X))

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
        return self._transport.run(steps.export(self, model, format, path))

    # ------------------------------------------------------------------------------ searches

    def create_search(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Search:
        """Start a hyper-parameter search; ``body`` as ``POST /v1/searches`` takes it."""
        return self._call(calls.create_search(body, idempotency_key))

    def list_searches(self, *, limit: int | None = None, page_size: int = 100) -> Pager[Search]:
        return self._pager(calls.SEARCHES.page, limit, page_size)

    def get_search(self, search: str | Identified) -> Search:
        return self._call(calls.SEARCHES.get(search))

    def cancel_search(self, search: str | Identified) -> Search:
        """Cancel its queued and running trials and start no more (ConflictError once
        finished)."""
        return self._call(calls.SEARCHES.act(search, "cancel"))

    def delete_search(self, search: str | Identified) -> None:
        """Delete a finished search with its trial jobs (ConflictError before); models stay."""
        self._call(calls.SEARCHES.delete(search))

    def search_events(
        self, search: str | Identified, *, last_event_id: str | None = None
    ) -> Iterator[Event]:
        path = calls.SEARCHES.events_path(search)
        return self._transport.iterate(steps.events(self, path, last_event_id, True, 10, None))

    # ------------------------------------------------------------------------------ operations

    def health(self) -> dict[str, Any]:
        """``GET /healthz``: ``{"status": "ok"}`` while the server process lives."""
        return self._call(calls.health())

    def readiness(self) -> Readiness:
        """``GET /readyz``: Redis and live workers per queue; ``ready`` is False on a 503."""
        return self._call(calls.readiness())
