"""Client and AsyncClient run the same steps (retries, reconnecting streams, waiting, paging):
both against the same scripted answers, they send the same requests and give the same results.

The answers come from ``httpx.MockTransport`` so that drops and 429s happen on cue; the real
server's side of the same paths is in test_client.py and test_streams.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from mlpforge.client import AsyncClient, Client, RateLimitError

Handler = Callable[[httpx.Request], httpx.Response]
URL = "http://server"
JOB = {"id": "job_1", "status": "succeeded", "epoch": 3}


def _event(name: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    head = f"event: {name}\n" + (f"id: {event_id}\n" if event_id else "")
    return (head + f"data: {json.dumps(data)}\n\n").encode()


class _Dropped(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The bytes, then a dropped connection."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self.data
        raise httpx.ReadError("connection dropped (by the test)")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data
        raise httpx.ReadError("connection dropped (by the test)")


def _recording(handler: Handler, sent: list[httpx.Request]) -> httpx.MockTransport:
    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    return httpx.MockTransport(record)


def _run_both(
    handler: Handler, use: Callable[[Client], Any], use_async: Callable[[AsyncClient], Any]
) -> tuple[tuple[Any, list[httpx.Request]], tuple[Any, list[httpx.Request]]]:
    """What each client answers and sends, with ``max_retries=1``."""
    sync_sent: list[httpx.Request] = []
    async_sent: list[httpx.Request] = []
    with Client(URL, "key", max_retries=1, transport=_recording(handler, sync_sent)) as client:
        answer = use(client)

    async def scenario() -> Any:
        transport = _recording(handler, async_sent)
        async with AsyncClient(URL, "key", max_retries=1, transport=transport) as client:
            return await use_async(client)

    return (answer, sync_sent), (asyncio.run(scenario()), async_sent)


def test_429_is_retried_after_its_retry_after_then_raised() -> None:
    answers: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        answers[request.url.path] = answers.get(request.url.path, 0) + 1
        if request.url.path.endswith("job_2") or answers[request.url.path] % 2:
            return httpx.Response(429, json={"status": 429}, headers={"Retry-After": "0"})
        return httpx.Response(200, json=JOB)

    def use(client: Client) -> str:
        with pytest.raises(RateLimitError):
            client.get_job("job_2")
        return client.get_job("job_1").status

    async def use_async(client: AsyncClient) -> str:
        with pytest.raises(RateLimitError):
            await client.get_job("job_2")
        return (await client.get_job("job_1")).status

    (sync, sync_sent), (async_, async_sent) = _run_both(handler, use, use_async)
    assert sync == async_ == "succeeded"
    paths = [request.url.path for request in sync_sent]
    assert paths == ["/v1/jobs/job_2"] * 2 + ["/v1/jobs/job_1"] * 2  # max_retries=1
    assert paths == [request.url.path for request in async_sent]


def test_a_dropped_stream_resumes_after_the_last_event_in_both_clients() -> None:
    progress = [_event("progress", {"epoch": i, "loss": 1 / i}, f"{i}-0") for i in (1, 2, 3)]

    def handler(request: httpx.Request) -> httpx.Response:
        if "last-event-id" not in request.headers:
            return httpx.Response(200, stream=_Dropped(b"retry: 1\n\n" + b"".join(progress[:2])))
        assert request.headers["last-event-id"] == "2-0"
        return httpx.Response(200, content=progress[2] + _event("status", JOB))

    def use(client: Client) -> list[Any]:
        return [(event.event, event.id) for event in client.events("job_1")]

    async def use_async(client: AsyncClient) -> list[Any]:
        return [(event.event, event.id) async for event in client.events("job_1")]

    (sync, sync_sent), (async_, async_sent) = _run_both(handler, use, use_async)
    expected = [("progress", "1-0"), ("progress", "2-0"), ("progress", "3-0"), ("status", None)]
    assert sync == async_ == expected
    assert len(sync_sent) == len(async_sent) == 2


def test_wait_polls_when_the_stream_is_refused_and_shows_no_events() -> None:
    polls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(429, json={"status": 429}, headers={"Retry-After": "0"})
        polls.append(request.url.path)
        status = "running" if len(polls) % 3 else "succeeded"
        return httpx.Response(200, json={**JOB, "status": status})

    seen: list[Any] = []

    def use(client: Client) -> str:
        return client.wait("job_1", poll_interval=0.01, on_event=seen.append).status

    async def use_async(client: AsyncClient) -> str:
        return (await client.wait("job_1", poll_interval=0.01, on_event=seen.append)).status

    (sync, sync_sent), (async_, async_sent) = _run_both(handler, use, use_async)
    assert sync == async_ == "succeeded" and seen == []
    # A refused stream is not retried: wait polls instead, until the job has finished.
    paths = [request.url.path for request in sync_sent]
    assert paths == ["/v1/jobs/job_1/events"] + ["/v1/jobs/job_1"] * 3
    assert paths == [request.url.path for request in async_sent]


@pytest.mark.parametrize(("limit", "page_size", "asked"), [(3, 2, [2, 1]), (None, 200, [100, 100])])
def test_pages_follow_the_cursor_up_to_the_limit(
    limit: int | None, page_size: int, asked: list[int]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", 0))
        size = int(request.url.params["limit"])
        ids = [f"ds_{i}" for i in range(start, min(start + size, 150))]
        after = start + size if start + size < 150 else None
        body = {"data": [{"id": i} for i in ids], "next_cursor": after and str(after)}
        return httpx.Response(200, json=body)

    def use(client: Client) -> list[str]:
        return [d.id for d in client.list_datasets(limit=limit, page_size=page_size)]

    async def use_async(client: AsyncClient) -> list[str]:
        return [d.id async for d in client.list_datasets(limit=limit, page_size=page_size)]

    (sync, sync_sent), (async_, async_sent) = _run_both(handler, use, use_async)
    assert sync == async_ == [f"ds_{i}" for i in range(limit or 150)]
    assert [int(r.url.params["limit"]) for r in sync_sent] == asked
    assert [str(r.url) for r in sync_sent] == [str(r.url) for r in async_sent]
