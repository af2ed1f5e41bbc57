"""A job's event stream as the API reads it: with the asyncio client, never blocking the loop.

The worker appends one entry per epoch (``{epoch}-0``, type ``progress``) and a final one
(``{epoch}-1``, type ``status``) to the job's Redis stream (see `store.jobs.Jobs`); stream ids
only grow, which is what lets a reader resume after any id it has seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from store.keys import TenantKeys
from store.records import JobRecord

# Entries per XRANGE/XREAD reply: a page of catch-up, or one key's share of a live read.
PAGE = 100


@dataclass(frozen=True)
class Event:
    id: str
    kind: str  # "progress" | "status"
    data: bytes


def parse_id(event_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = event_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def later(event_id: str, than: str) -> bool:
    return parse_id(event_id) > parse_id(than)


def earliest(first: str, second: str) -> str:
    return second if later(first, second) else first


def _decoded(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def entries_to_events(entries: Iterable[Any]) -> list[Event]:
    return [
        Event(_decoded(raw_id), _decoded(fields[b"type"]), bytes(fields[b"data"]))
        for raw_id, fields in entries
    ]


def xread_batches(reply: Any) -> list[tuple[str, list[Event]]]:
    """(key, events) of an XREAD reply, in either of redis-py's shapes (RESP2 list, RESP3 dict)."""
    if not reply:
        return []
    pairs = reply.items() if isinstance(reply, dict) else reply
    return [(_decoded(key), entries_to_events(entries)) for key, entries in pairs]


async def read_after(client: aioredis.Redis, key: str, cursor: str) -> list[Event]:
    """Up to `PAGE` events after ``cursor``, oldest first."""
    milliseconds, sequence = parse_id(cursor)
    # The smallest id after the cursor: XRANGE's "(" exclusive form needs Redis 6.2.
    entries = await client.xrange(key, min=f"{milliseconds}-{sequence + 1}", max="+", count=PAGE)
    return entries_to_events(entries or [])


async def last_id(client: aioredis.Redis, key: str) -> str:
    """The id of the stream's newest event; "0-0" while it has none."""
    newest: Any = await client.xrevrange(key, count=1)
    return _decoded(newest[0][0]) if newest else "0-0"


@dataclass(frozen=True)
class JobEvents:
    """One job's record and event stream, for one tenant."""

    client: aioredis.Redis
    keys: TenantKeys
    job_id: str

    @property
    def key(self) -> str:
        return self.keys.job_events(self.job_id)

    async def job(self) -> JobRecord | None:
        raw = await self.client.get(self.keys.job(self.job_id))
        return JobRecord.model_validate_json(raw) if raw else None

    async def after(self, cursor: str) -> list[Event]:
        return await read_after(self.client, self.key, cursor)
