"""A search's event stream and what its final event shows, read with the asyncio client.

The controller appends one ``trial`` event per finished trial job (id ``n-0``) and a final
``status`` one (``n-1``) in the MULTI that records them (store.searches); the API serves them
as server-sent events through the same hub, slots and framing as a job's (service.events).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from store.events import Event, read_after
from store.keys import TenantKeys
from store.records import JobRecord
from store.search_records import SearchRecord, TrialResult


@dataclass(frozen=True)
class SearchEvents:
    client: aioredis.Redis
    keys: TenantKeys
    search_id: str

    @property
    def key(self) -> str:
        return self.keys.search_events(self.search_id)

    async def job(self) -> SearchRecord | None:
        """The search's record (named as `JobEvents.job` is: the stream's resource)."""
        raw = await self.client.get(self.keys.search(self.search_id))
        return SearchRecord.model_validate_json(raw) if raw else None

    async def after(self, cursor: str) -> list[Event]:
        return await read_after(self.client, self.key, cursor)

    async def results(self) -> list[TrialResult]:
        raws = await self.client.hvals(self.keys.search_results(self.search_id))
        return [TrialResult.model_validate_json(raw) for raw in raws]

    async def in_flight(self, search: SearchRecord) -> dict[str, str]:
        """The status of each trial job the search has queued or running."""
        ids = [t.job_id for t in search.state.active if t.created]
        raws = await self.client.mget([self.keys.job(i) for i in ids]) if ids else []
        jobs = [JobRecord.model_validate_json(raw) for raw in raws if raw]
        return {job.id: job.status for job in jobs}
