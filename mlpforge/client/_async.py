"""The asynchronous client: :class:`AsyncClient`, the same methods as ``Client``, awaited.

The requests (:mod:`._calls`) and steps (:mod:`._steps`) are Client's own;
:class:`~._transport.AsyncTransport` carries them out.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
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
from mlpforge.client._pager import AsyncPager
from mlpforge.client._transport import AsyncTransport
from mlpforge.client._uploads import upload_dataset

T = TypeVar("T")
R = TypeVar("R", bound=Resource)


class AsyncClient(BaseClient):
    """:class:`Client` for asyncio: every method is a coroutine, listings are
    :class:`AsyncPager` (``async for``) and ``events`` an async iterator. ``async with``."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 0,
        max_retry_wait: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, api_key, timeout, max_retries, max_retry_wait)
        http = httpx.AsyncClient(**self._http_options(headers), transport=transport)
        self._transport = AsyncTransport(http)

    async def aclose(self) -> None:
        await self._transport.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(self, call: Call[T]) -> T:
        return await self._transport.run(steps.request(self, call))

    def _pager(self, listing: Listing[R], limit: int | None, page_size: int) -> AsyncPager[R]:
        return AsyncPager(
            lambda: self._transport.iterate(steps.pages(self, listing, limit, page_size)),
            limit=limit,
            page_size=page_size,
        )

    # ------------------------------------------------------------------------------ datasets

    async def upload_dataset(
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
        """See :meth:`Client.upload_dataset`."""
        return await self._call(
            upload_dataset(data, y, target=target, name=name, feature_names=feature_names,
                           sample_weight=sample_weight, weights=weights, format=format,
                           idempotency_key=idempotency_key)
        )  # fmt: skip

    def list_datasets(
        self, *, limit: int | None = None, page_size: int = 100
    ) -> AsyncPager[Dataset]:
        return self._pager(calls.DATASETS.page, limit, page_size)

    async def get_dataset(self, dataset: str | Identified) -> Dataset:
        return await self._call(calls.DATASETS.get(dataset))

    async def delete_dataset(self, dataset: str | Identified) -> None:
        await self._call(calls.DATASETS.delete(dataset))

    async def dataset_preview(
        self, dataset: str | Identified, *, rows: int | None = None
    ) -> dict[str, Any] | None:
        return await self._transport.run(steps.dataset_preview(self, dataset, rows))

    # ------------------------------------------------------------------------------ jobs

    async def train(
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
        """See :meth:`Client.train`."""
        return await self._call(
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
    ) -> AsyncPager[Job]:
        filters = {"status": status, "dataset_id": dataset_id, "tag": tag, "search_id": search_id}
        return self._pager(
            lambda cursor, size: calls.JOBS.page(cursor, size, **filters), limit, page_size
        )

    async def get_job(self, job: str | Identified) -> Job:
        return await self._call(calls.JOBS.get(job))

    async def cancel_job(self, job: str | Identified) -> Job:
        return await self._call(calls.JOBS.act(job, "cancel"))

    async def delete_job(self, job: str | Identified) -> None:
        await self._call(calls.JOBS.delete(job))

    async def job_metrics(self, job: str | Identified) -> list[HistoryEntry]:
        return await self._call(calls.job_metrics(job))

    def events(
        self,
        job: str | Identified,
        *,
        last_event_id: str | None = None,
        reconnect: bool = True,
        max_reconnects: int = 10,
        timeout: float | None = None,
    ) -> AsyncIterator[Event]:
        """See :meth:`Client.events`: ``async for event in client.events(job_id): ...``."""
        path, deadline = calls.JOBS.events_path(job), steps.deadline_after(timeout)
        events = steps.events(self, path, last_event_id, reconnect, max_reconnects, deadline)
        return self._transport.iterate(events)

    async def wait(
        self,
        job: str | Identified,
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
        use_events: bool = True,
        on_event: Callable[[Event], None] | None = None,
        raise_on_failure: bool = False,
    ) -> Job:
        """See :meth:`Client.wait`."""
        waiting = steps.wait(self, job, timeout, poll_interval, use_events, raise_on_failure)
        return await self._transport.run(waiting, on_event)

    # ------------------------------------------------------------------------------ models

    def list_models(self, *, limit: int | None = None, page_size: int = 100) -> AsyncPager[Model]:
        return self._pager(calls.MODELS.page, limit, page_size)

    async def get_model(self, model: str | Identified) -> Model:
        return await self._call(calls.MODELS.get(model))

    async def delete_model(self, model: str | Identified) -> None:
        await self._call(calls.MODELS.delete(model))

    async def predict_full(self, model: str | Identified, X: Any) -> Prediction:
        return await self._transport.run(steps.predict(self, model, X))

    async def predict(self, model: str | Identified, X: Any) -> np.ndarray:
        return (await self.predict_full(model, X)).predictions

    async def predict_proba(self, model: str | Identified, X: Any) -> np.ndarray:
        return steps.probabilities(await self.predict_full(model, X))

    @overload
    async def export(
        self, model: str | Identified, format: str = ..., path: None = None
    ) -> bytes: ...

    @overload
    async def export(
        self, model: str | Identified, format: str = ..., *, path: str | os.PathLike[str]
    ) -> Path: ...

    @overload
    async def export(
        self, model: str | Identified, format: str, path: str | os.PathLike[str]
    ) -> Path: ...

    async def export(
        self,
        model: str | Identified,
        format: str = "safetensors",
        path: str | os.PathLike[str] | None = None,
    ) -> bytes | Path:
        """See :meth:`Client.export`."""
        return await self._transport.run(steps.export(self, model, format, path))

    # ------------------------------------------------------------------------------ searches

    async def create_search(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Search:
        return await self._call(calls.create_search(body, idempotency_key))

    def list_searches(
        self, *, limit: int | None = None, page_size: int = 100
    ) -> AsyncPager[Search]:
        return self._pager(calls.SEARCHES.page, limit, page_size)

    async def get_search(self, search: str | Identified) -> Search:
        return await self._call(calls.SEARCHES.get(search))

    async def cancel_search(self, search: str | Identified) -> Search:
        return await self._call(calls.SEARCHES.act(search, "cancel"))

    async def delete_search(self, search: str | Identified) -> None:
        await self._call(calls.SEARCHES.delete(search))

    def search_events(
        self, search: str | Identified, *, last_event_id: str | None = None
    ) -> AsyncIterator[Event]:
        path = calls.SEARCHES.events_path(search)
        return self._transport.iterate(steps.events(self, path, last_event_id, True, 10, None))

    # ------------------------------------------------------------------------------ operations

    async def health(self) -> dict[str, Any]:
        return await self._call(calls.health())

    async def readiness(self) -> Readiness:
        return await self._call(calls.readiness())
