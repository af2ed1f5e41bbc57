"""The asynchronous client: :class:`AsyncClient`, the same methods as ``Client``, awaited."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, overload

import httpx
import numpy as np

from mlpforge.client import _calls as calls
from mlpforge.client._calls import Call, SSEDecoder
from mlpforge.client._errors import (
    ApiConnectionError,
    ApiError,
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
from mlpforge.client._pager import AsyncPager
from mlpforge.client._sync import (
    DEFAULT_TIMEOUT,
    STREAM_READ_TIMEOUT,
    _finished,
    _headers,
    _job_id,
    _retry_pause,
    reconnect_delay,
)

T = TypeVar("T")


class AsyncClient:
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
        self.url = calls.resolve_url(url)
        self.api_key = calls.resolve_key(api_key)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=_headers(self.api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient({self.url!r})"

    async def _send(self, call: Call[Any]) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
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
            await asyncio.sleep(pause)
            attempt += 1

    async def _run(self, call: Call[T]) -> T:
        return call.parse(await self._send(call))

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
        return await self._run(
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

    def list_datasets(
        self, *, limit: int | None = None, page_size: int = 100
    ) -> AsyncPager[Dataset]:
        return AsyncPager(
            lambda cursor, size: self._run(calls.list_datasets(cursor, size)),
            limit=limit,
            page_size=page_size,
        )

    async def get_dataset(self, dataset: str | Identified) -> Dataset:
        return await self._run(calls.get_dataset(dataset))

    async def delete_dataset(self, dataset: str | Identified) -> None:
        await self._run(calls.delete_dataset(dataset))

    async def dataset_preview(
        self, dataset: str | Identified, *, rows: int | None = None
    ) -> dict[str, Any] | None:
        try:
            return await self._run(calls.dataset_preview(dataset, rows))
        except NotFoundError:
            await self.get_dataset(dataset)
            return None

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
        return await self._run(
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
    ) -> AsyncPager[Job]:
        return AsyncPager(
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

    async def get_job(self, job: str | Identified) -> Job:
        return await self._run(calls.get_job(job))

    async def cancel_job(self, job: str | Identified) -> Job:
        return await self._run(calls.cancel_job(job))

    async def delete_job(self, job: str | Identified) -> None:
        await self._run(calls.delete_job(job))

    async def job_metrics(self, job: str | Identified) -> list[HistoryEntry]:
        return await self._run(calls.job_metrics(job))

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
        deadline = time.monotonic() + timeout if timeout is not None else None
        return self._events(
            calls.events_path("jobs", job), last_event_id, reconnect, max_reconnects, deadline
        )

    async def _events(
        self,
        path: str,
        last_event_id: str | None,
        reconnect: bool,
        max_reconnects: int,
        deadline: float | None,
    ) -> AsyncIterator[Event]:
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
                async with self._http.stream(
                    "GET",
                    path,
                    headers=headers,
                    timeout=httpx.Timeout(self._timeout, read=read_timeout),
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise ApiError.from_response(response)
                    async for line in response.aiter_lines():
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
                if not reconnect:
                    return
                failures = 0 if received else failures + 1
                if failures > max_reconnects:
                    raise ApiConnectionError(
                        self.url, RuntimeError(f"{path} keeps closing without events")
                    )
            await asyncio.sleep(reconnect_delay(failures, hint) if failures else 0.0)

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
        job_id = _job_id(job)
        deadline = time.monotonic() + timeout if timeout is not None else None
        if use_events:
            try:
                path = calls.events_path("jobs", job_id)
                async for event in self._events(path, None, True, 5, deadline):
                    if on_event is not None:
                        on_event(event)
                    if event.final:
                        final = event.job or await self.get_job(job_id)
                        return _finished(final, raise_on_failure)
            except WaitTimeoutError:
                current = await self.get_job(job_id)
                raise WaitTimeoutError(job_id, timeout or 0, current) from None
            except (NotFoundError, RateLimitError, ServerError, ApiConnectionError):
                pass
        while True:
            current = await self.get_job(job_id)
            if current.finished:
                return _finished(current, raise_on_failure)
            pause = poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeoutError(job_id, timeout or 0, current)
                pause = min(pause, remaining)
            await asyncio.sleep(pause)

    # ------------------------------------------------------------------------------ models

    def list_models(self, *, limit: int | None = None, page_size: int = 100) -> AsyncPager[Model]:
        return AsyncPager(
            lambda cursor, size: self._run(calls.list_models(cursor, size)),
            limit=limit,
            page_size=page_size,
        )

    async def get_model(self, model: str | Identified) -> Model:
        return await self._run(calls.get_model(model))

    async def delete_model(self, model: str | Identified) -> None:
        await self._run(calls.delete_model(model))

    async def predict_full(self, model: str | Identified, X: Any) -> Prediction:
        parts = [await self._run(call) for call in calls.predict_chunks(model, X)]
        return calls.join_predictions(parts)

    async def predict(self, model: str | Identified, X: Any) -> np.ndarray:
        return (await self.predict_full(model, X)).predictions

    async def predict_proba(self, model: str | Identified, X: Any) -> np.ndarray:
        probabilities = (await self.predict_full(model, X)).probabilities
        if probabilities is None:
            raise ValueError("predict_proba needs a classification model")
        return probabilities

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
        blob = await self._run(calls.export(model, format))
        if path is None:
            return blob
        target = calls.export_target(model, format, path)
        target.write_bytes(blob)
        return target

    # ------------------------------------------------------------------------------ searches

    async def create_search(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Search:
        return await self._run(calls.create_search(body, idempotency_key))

    def list_searches(
        self, *, limit: int | None = None, page_size: int = 100
    ) -> AsyncPager[Search]:
        return AsyncPager(
            lambda cursor, size: self._run(calls.list_searches(cursor, size)),
            limit=limit,
            page_size=page_size,
        )

    async def get_search(self, search: str | Identified) -> Search:
        return await self._run(calls.get_search(search))

    async def cancel_search(self, search: str | Identified) -> Search:
        return await self._run(calls.cancel_search(search))

    async def delete_search(self, search: str | Identified) -> None:
        await self._run(calls.delete_search(search))

    def search_events(
        self, search: str | Identified, *, last_event_id: str | None = None
    ) -> AsyncIterator[Event]:
        return self._events(calls.events_path("searches", search), last_event_id, True, 10, None)

    # ------------------------------------------------------------------------------ operations

    async def health(self) -> dict[str, Any]:
        return await self._run(calls.health())

    async def readiness(self) -> Readiness:
        return await self._run(calls.readiness())
