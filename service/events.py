"""Server-sent events of one job: admitted under the tenant's cap, fed by the process's hub.

Progress events carry the history entry; the final status event carries the job body, after
which the stream ends. Event ids are the stream ids, so Last-Event-ID resumes exactly; a
stream resumed at or past a finished job's last event sends the status event again (without
an id) and ends: an EventSource reconnects after every close, and must not then wait forever.
A stream also ends after `max_stream_secs`; its client reconnects with Last-Event-ID.

Every check (the job exists, the ids are well formed, the tenant is under its cap) happens
before the response starts: a stream that answered 200 never turns into an error. Everything
on the event loop awaits the asyncio client; a blocking call here would stall every stream.

Framing, keep-alive comments and noticing a client that went away are sse-starlette's: its
`EventSourceResponse` listens for the disconnect, so a closed stream leaves the hub at once,
not at its next failed write. (FastAPI's own SSE support wants the route itself to be the
generator, so it would send 200 before the cap could answer 429.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import anyio
import orjson
import redis
from fastapi import Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from mlpforge.settings import Settings
from service.errors import ApiError
from service.schemas import job_public
from store import JobRecord
from store.connection import AsyncConnection
from store.event_hub import EventHub, Follower
from store.events import Event, JobEvents
from store.keys import TenantKeys
from store.streams import Slot, StreamSlots

log = logging.getLogger(__name__)

# A comment this often keeps proxies from closing a quiet stream; a quiet stream's job is
# checked as often (see `JobEventStream.advance`).
KEEPALIVE_SECS = 10.0
RETRY_HINT_MS = 2000
REDIS_RETRY_SECS = 1.0
CAP_RETRY_AFTER_SECS = 5
RELEASE_SECS = 2.0
# Frames end in a blank line "\n\n", as they always have (sse-starlette defaults to "\r\n").
SEP = "\n"


def _sse(event_id: str | None, kind: str, data: bytes) -> ServerSentEvent:
    return ServerSentEvent(data.decode(), event=kind, id=event_id, sep=SEP)


def _keep_alive() -> ServerSentEvent:
    return ServerSentEvent(comment="keep-alive", sep=SEP)


async def _status_body(job: JobRecord) -> bytes:
    """The job body, as GET /v1/jobs/{id} answers it."""
    return orjson.dumps(job_public(job).model_dump(mode="json"))


class EventSource(Protocol):
    """A resource's event stream: a job's (store.events.JobEvents), or a search's."""

    @property
    def key(self) -> str: ...

    async def job(self) -> Any:
        """The resource's record (anything with ``finished``), None once it is gone."""

    async def after(self, cursor: str) -> list[Event]: ...


# The body of the final ``status`` event, from the resource's record.
StatusBody = Callable[[Any], Awaitable[bytes]]


class JobEventStream:
    """What one client is sent, one step at a time.

    A step that fails on Redis changes nothing, so the caller may simply take it again.
    """

    def __init__(
        self,
        events: EventSource,
        *,
        hub: EventHub,
        slot: Slot,
        start: str,
        max_secs: float,
        finished: bool,
        body: StatusBody = _status_body,
    ) -> None:
        self.done = False
        self._events = events
        self._body = body
        self._hub = hub
        self._slot = slot
        self._cursor = start  # the id of the last event sent
        self._deadline = asyncio.get_running_loop().time() + max_secs
        self._feed: Follower | None = None
        # A finished job's stream can only be read to its end: no event can follow.
        self._draining = finished
        self._pending: Event | None = None  # read from the feed, not yet sent

    async def advance(self) -> list[ServerSentEvent]:
        remaining = self._deadline - asyncio.get_running_loop().time()
        if remaining <= 0 or self._slot.lost:
            self.done = True  # the client reconnects with Last-Event-ID
            return []
        if self._draining:
            return await self._drain()
        if self._feed is None:
            self._feed = self._hub.follow(self._events.key, self._cursor)
        if self._pending is None:
            self._pending = await self._feed.next(timeout=min(KEEPALIVE_SECS, remaining))
            if self._pending is None:
                # Quiet for a while: ask the job itself, in case it ended without its status
                # event reaching the stream (expired with its events, or deleted meanwhile).
                job = await self._events.job()
                if job is None or job.finished:
                    self.close()
                    self._draining = True
                return []
        frame = await self._frame(self._pending)
        self._cursor, self.done = self._pending.id, self._pending.kind == "status"
        self._pending = None
        return [frame]

    async def _drain(self) -> list[ServerSentEvent]:
        page = await self._events.after(self._cursor)
        if not page:
            job = await self._events.job()
            self.done = True
            # Resumed at or past the final event: end the way every stream ends.
            return [_sse(None, "status", await self._body(job))] if job is not None else []
        frames = []
        for event in page:
            frames.append(await self._frame(event))
            if event.kind == "status":
                self.done = True
                break
        self._cursor = event.id
        return frames

    async def _frame(self, event: Event) -> ServerSentEvent:
        if event.kind != "status":
            return _sse(event.id, event.kind, event.data)
        job = await self._events.job()
        return _sse(event.id, "status", await self._body(job) if job is not None else event.data)

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None


async def _frames(
    stream: JobEventStream, slots: StreamSlots, slot: Slot, what: str
) -> AsyncIterator[ServerSentEvent]:
    slots.hold(slot)
    failing = False
    try:
        yield ServerSentEvent(retry=RETRY_HINT_MS, sep=SEP)
        while not stream.done:
            try:
                frames = await stream.advance()
            except redis.RedisError as error:
                # The client already has its 200: keep it (and its keep-alives) until Redis
                # answers again, rather than break the stream. Said once per outage, not
                # once a second by every open stream.
                if not failing:
                    log.warning("event stream of %s: %s; retrying", what, error)
                failing = True
                await asyncio.sleep(REDIS_RETRY_SECS)
                continue
            failing = False
            for frame in frames:
                yield frame
    finally:
        stream.close()
        # The client may be gone and this task cancelled: give the slot back all the same
        # (if Redis does not answer, the slot lapses on its own: it is no longer renewed).
        with anyio.move_on_after(RELEASE_SECS, shield=True):
            try:
                await slots.release(slot)
            except redis.RedisError as error:
                log.warning("releasing an event stream's slot: %s", error)


async def open_job_events(
    request: Request, *, tenant: str, job: JobRecord, start: str
) -> EventSourceResponse:
    """The job's event stream, or a 429 when the tenant has `max_streams_per_tenant` open."""
    connection: AsyncConnection = request.app.state.async_redis
    events = JobEvents(connection.client(), TenantKeys(tenant), job.id)
    return await open_events(
        request, tenant=tenant, events=events, finished=job.finished, start=start, what=job.id
    )


async def open_events(
    request: Request,
    *,
    tenant: str,
    events: EventSource,
    finished: bool,
    start: str,
    what: str,
    body: StatusBody = _status_body,
) -> EventSourceResponse:
    """A resource's event stream (``what`` names it in the logs), or a 429 when the tenant
    has `max_streams_per_tenant` open."""
    settings: Settings = request.app.state.settings
    slots: StreamSlots = request.app.state.stream_slots
    slot = await slots.admit(tenant, limit=settings.max_streams_per_tenant)
    if slot is None:
        raise ApiError(
            429,
            f"this tenant already has {settings.max_streams_per_tenant} open event streams "
            "(MLPFORGE_MAX_STREAMS_PER_TENANT); close one, or retry later",
            headers={"Retry-After": str(CAP_RETRY_AFTER_SECS)},
        )
    stream = JobEventStream(
        events,
        hub=request.app.state.event_hub,
        slot=slot,
        start=start,
        max_secs=settings.max_stream_secs,
        finished=finished,
        body=body,
    )
    return EventSourceResponse(
        _frames(stream, slots, slot, what),
        ping=KEEPALIVE_SECS,
        ping_message_factory=_keep_alive,
        sep=SEP,
    )
