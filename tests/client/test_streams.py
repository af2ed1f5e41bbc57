"""The event stream's framing and resumption, and how error answers become exceptions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mlpforge.client import Client, NotFoundError, RateLimitError, ValidationError
from mlpforge.client._errors import ApiError
from mlpforge.client._sse import SSEDecoder
from mlpforge.client._steps import retry_pause
from tests.client.conftest import blobs


def test_sse_decoder_follows_the_spec() -> None:
    decoder = SSEDecoder()
    lines = [
        "retry: 2000", "", ": keep-alive", "",
        "id: 5-0", "event: progress", 'data: {"epoch": 5,', 'data:  "loss": 0.5}', "",
        "event: status", 'data: {"id": "job_1", "status": "succeeded"}', "",
    ]  # fmt: skip
    events = [event for line in lines if (event := decoder.feed(line)) is not None]
    assert decoder.retry == 2000
    assert [(e.event, e.id) for e in events] == [("progress", "5-0"), ("status", None)]
    assert events[0].data == {"epoch": 5, "loss": 0.5}
    assert events[0].entry is not None and events[0].entry.loss == 0.5
    assert events[1].final and events[1].job is not None and events[1].job.succeeded
    assert decoder.last_id == "5-0"  # kept across events: what a reconnect resumes after


def _response(status: int, body: dict[str, object], **headers: str) -> httpx.Response:
    request = httpx.Request("GET", "http://server/v1/jobs/x")
    return httpx.Response(status, json=body, headers=headers, request=request)


def test_problems_become_typed_exceptions() -> None:
    error = ApiError.from_response(
        _response(
            422,
            {
                "type": "https://mlpforge.dev/problems/unprocessable-entity",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "body.params.max_iter: must be an integer >= 1, got 0",
                "errors": [{"loc": ["body", "params", "max_iter"], "msg": "must be >= 1"}],
            },
        )
    )
    assert isinstance(error, ValidationError) and error.status == 422
    assert error.error_lines() == [("body.params.max_iter", "must be >= 1")]
    assert "body.params.max_iter: must be >= 1" in str(error)
    limited = ApiError.from_response(
        _response(429, {"status": 429, "detail": "slow down"}, **{"Retry-After": "3"})
    )
    assert isinstance(limited, RateLimitError) and limited.retry_after == 3.0
    assert retry_pause(limited, attempt=0, max_retries=2, max_wait=60) == 3.0
    assert retry_pause(limited, attempt=2, max_retries=2, max_wait=60) is None
    assert retry_pause(limited, attempt=0, max_retries=1, max_wait=1.5) == 1.5
    assert isinstance(ApiError.from_response(_response(404, {"detail": "gone"})), NotFoundError)
    assert retry_pause(error, attempt=0, max_retries=5, max_wait=60) is None


class _CutAfter(httpx.SyncByteStream):
    """The server's bytes up to the end of the `frames`-th event, then a dropped connection."""

    def __init__(self, inner: httpx.SyncByteStream, frames: int) -> None:
        self.inner = inner
        self.frames = frames

    def __iter__(self) -> Iterator[bytes]:
        seen = b""
        for chunk in self.inner:
            seen += chunk
            if seen.count(b"event: progress") > self.frames:
                end = seen.index(b"\n\n", _nth(seen, b"event: progress", self.frames)) + 2
                yield seen[:end]
                raise httpx.RemoteProtocolError("peer closed connection (cut by the test)")
        yield seen

    def close(self) -> None:
        self.inner.close()


def _nth(data: bytes, needle: bytes, n: int) -> int:
    index = -1
    for _ in range(n):
        index = data.index(needle, index + 1)
    return index


class DropFirstStream(httpx.BaseTransport):
    """A real connection to the server whose first event stream drops after 3 events."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.streams: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/events"):
            return response
        self.streams.append(request)
        if len(self.streams) > 1:
            return response
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CutAfter(response.stream, 3),
            request=request,
        )


def test_a_dropped_stream_resumes_with_last_event_id(
    client: Client, api_server: str, key: str
) -> None:
    X, y = blobs(n=40, seed=8)
    dataset = client.upload_dataset(X, y)
    params = {"hidden_layer_sizes": [4], "max_iter": 8, "random_state": 0, "tol": 0.0}
    job = client.wait(client.train(dataset.id, "classification", params), timeout=120)
    assert job.epoch == 8

    transport = DropFirstStream()
    with Client(api_server, key, transport=transport) as flaky:
        events = list(flaky.events(job.id))
    assert len(transport.streams) == 2
    assert "last-event-id" not in transport.streams[0].headers
    assert transport.streams[1].headers["last-event-id"] == events[2].id
    # Every epoch exactly once, then the status.
    assert [e.entry.epoch for e in events[:-1] if e.entry] == list(range(1, 9))
    assert events[-1].final

    # Polling gives the same final job as the stream.
    assert client.wait(job.id, use_events=False).to_dict() == client.get_job(job.id).to_dict()
    with pytest.raises(NotFoundError):
        client.wait("job_0000000000000000000000000", use_events=False)
