"""Server-sent events of one job, read from its Redis stream.

Progress events carry the history entry; the final status event carries the job body,
after which the stream ends. Event ids are the stream ids, so Last-Event-ID resumes exactly;
a stream resumed at or past a finished job's last event sends the status event again and ends
(an EventSource reconnects after every close, and must not then wait forever).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import Request

from store import JobRecord, Store
from store.connection import streaming_client

BLOCK_MS = 10_000


def _frame(event_id: str | None, event: str, data: bytes) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: ".encode() + data + b"\n\n"


def _status_body(job: JobRecord) -> bytes:
    return orjson.dumps(job.model_dump(mode="json"))


async def job_event_stream(
    request: Request, store: Store, job_id: str, start: str
) -> AsyncIterator[bytes]:
    url: str = request.app.state.settings.redis_url
    client = streaming_client(url, BLOCK_MS / 1000)
    key = store.jobs.events_key(job_id)
    cursor = start
    # Once the job has finished, no event can follow: read what is left without waiting.
    job = store.jobs.get(job_id)
    draining = job is None or job.finished
    try:
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            batches: Any = await client.xread(
                {key: cursor}, count=100, block=None if draining else BLOCK_MS
            )
            if not batches:
                job = store.jobs.get(job_id)
                if job is not None and not job.finished:
                    yield b": keep-alive\n\n"
                    continue
                if not draining:
                    draining = True  # finished meanwhile: its status event may be next
                    continue
                # Resumed at or past the final event: end the way every stream ends.
                if job is not None:
                    yield _frame(None, "status", _status_body(job))
                return
            for _, entries in batches:
                for raw_id, fields in entries:
                    cursor = raw_id.decode()
                    kind = fields[b"type"].decode()
                    if kind == "status":
                        job = store.jobs.get(job_id)
                        body = _status_body(job) if job else fields[b"data"]
                        yield _frame(cursor, "status", body)
                        return
                    yield _frame(cursor, kind, fields[b"data"])
    finally:
        await client.aclose()
