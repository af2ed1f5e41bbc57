"""Searches: the record, its candidates, its trials' results, its events, its cancel flag.

Only the search's controller (mlpforge.search.controller) changes a search once created, and
each change is one MULTI fenced by the record's ``state.version``: a controller that lost its
lease while stepping (paused past it) can write nothing. The API creates a search (admitted
against the tenant's limit of unfinished searches in the same script), flags it cancelled,
and deletes it once finished.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from store.keys import (
    TenantKeys,
    due_searches,
    job_member,
)
from store.pagination import Records, records_page
from store.records import JobRecord, Page
from store.search_records import Candidate, SearchRecord, TrialResult

# KEYS: record, index, the tenant's active searches, candidates, the due set. ARGV: record
# JSON, search id, limit, due-set member, grace seconds, then one candidate JSON each.
_CREATE_LUA = """
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[3]) then
  return 0
end
local now = redis.call('TIME')
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[5], tonumber(now[1]) + tonumber(ARGV[5]), ARGV[4])
for i = 6, #ARGV do
  redis.call('RPUSH', KEYS[4], ARGV[i])
end
return 1
"""
# A new search is due this long after it is written, unless `activate` makes it due at once:
# the API that wrote it had died in between, and a worker's housekeeping takes over.
ACTIVATE_WITHIN_SECS = 10


class TooManyActiveSearches(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} searches are already queued or running")
        self.limit = limit


class StaleStep(Exception):
    """The record changed since this step read it: another controller stepped it."""


@dataclass(frozen=True)
class SearchEvent:
    """One entry of a search's event stream: ``n-0`` for its n-th finished trial, ``n-1`` for
    the final status (ids only grow, as a job's do, so Last-Event-ID resumes exactly)."""

    id: str
    kind: str
    data: bytes


class Searches:
    def __init__(self, client: redis.Redis, keys: TenantKeys, retention_secs: int = 0) -> None:
        self._r = client
        self._k = keys
        self._retention = retention_secs

    # ---- reading ---------------------------------------------------------------
    def get(self, search_id: str) -> SearchRecord | None:
        raw = self._r.get(self._k.search(search_id))
        return SearchRecord.model_validate_json(raw) if raw else None

    def page(
        self,
        *,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        newest_first: bool = True,
    ) -> Page[SearchRecord]:
        records = Records(self._r, self._k.search, SearchRecord.model_validate_json)
        found, next_cursor = records_page(
            records,
            self._k.search_index(),
            lambda search: status is None or search.status == status,
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )
        return Page[SearchRecord](data=found, next_cursor=next_cursor)

    def candidates(self, search_id: str, indices: Iterable[int]) -> dict[int, Candidate]:
        wanted = sorted(set(indices))
        if not wanted:
            return {}
        with self._r.pipeline(transaction=False) as pipe:
            for index in wanted:
                pipe.lindex(self._k.search_candidates(search_id), index)
            raws = pipe.execute()
        pairs = zip(wanted, raws, strict=True)
        return {i: Candidate.model_validate_json(raw) for i, raw in pairs if raw}

    def all_candidates(self, search_id: str) -> list[Candidate]:
        raws = self._r.lrange(self._k.search_candidates(search_id), 0, -1)
        return [Candidate.model_validate_json(raw) for raw in raws]

    def results(self, search_id: str) -> list[TrialResult]:
        raws = self._r.hvals(self._k.search_results(search_id))
        return [TrialResult.model_validate_json(raw) for raw in raws]

    def results_of(self, search_id: str, units: Sequence[str]) -> dict[str, TrialResult]:
        if not units:
            return {}
        raws = self._r.hmget(self._k.search_results(search_id), list(units))
        return {
            unit: TrialResult.model_validate_json(raw)
            for unit, raw in zip(units, raws, strict=True)
            if raw
        }

    def in_flight(self, search: SearchRecord) -> dict[str, str]:
        """The status of each trial job the search has queued or running."""
        ids = [t.job_id for t in search.state.active if t.created]
        raws = self._r.mget([self._k.job(i) for i in ids]) if ids else []
        jobs = [JobRecord.model_validate_json(raw) for raw in raws if raw]
        return {job.id: job.status for job in jobs}

    def cancel_requested(self, search_id: str) -> bool:
        return bool(self._r.exists(self._k.search_cancel(search_id)))

    def active_count(self) -> int:
        return int(self._r.scard(self._k.active_searches()))

    # ---- creating --------------------------------------------------------------
    def create(
        self, search: SearchRecord, candidates: Sequence[Candidate], *, max_active: int
    ) -> None:
        """Write the record and its candidates, if the tenant has fewer than ``max_active``
        unfinished searches (else `TooManyActiveSearches`). Due `ACTIVATE_WITHIN_SECS` later,
        or at once after `activate` (first, an Idempotency-Key's twin may discard it)."""
        create = self._r.register_script(_CREATE_LUA)
        created = create(
            keys=[
                self._k.search(search.id),
                self._k.search_index(),
                self._k.active_searches(),
                self._k.search_candidates(search.id),
                due_searches(),
            ],
            args=[
                search.model_dump_json(),
                search.id,
                max_active,
                job_member(self._k.tenant, search.id),
                ACTIVATE_WITHIN_SECS,
                *(candidate.model_dump_json() for candidate in candidates),
            ],
        )
        if not created:
            raise TooManyActiveSearches(max_active)

    def activate(self, search_id: str) -> None:
        """Hand the search to the controllers: due at once."""
        self._r.zadd(due_searches(), {job_member(self._k.tenant, search_id): 0}, xx=True)

    def discard(self, search_id: str) -> None:
        """Remove a search that was never activated (it lost an idempotency race)."""
        with self._r.pipeline(transaction=True) as pipe:
            self._remove(pipe, search_id)
            pipe.execute()

    # ---- the controller's writes ----------------------------------------------------
    def save(
        self,
        before: SearchRecord,
        after: SearchRecord,
        *,
        results: Sequence[TrialResult] = (),
        events: Sequence[SearchEvent] = (),
    ) -> SearchRecord:
        """Write ``after`` (with its results and events) if the record is still ``before``;
        `StaleStep` if another step wrote it meanwhile, KeyError if it was deleted."""
        key = self._k.search(before.id)
        written = after.model_copy(
            update={"state": after.state.model_copy(update={"version": before.state.version + 1})}
        )
        with self._r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                if raw is None:
                    raise KeyError(before.id)
                if SearchRecord.model_validate_json(raw).state.version != before.state.version:
                    raise StaleStep(before.id)
                pipe.multi()
                pipe.set(key, written.model_dump_json())
                if results:
                    pipe.hset(
                        self._k.search_results(before.id),
                        mapping={r.unit: r.model_dump_json() for r in results},
                    )
                events_key = self._k.search_events(before.id)
                for event in events:
                    pipe.xadd(events_key, {"type": event.kind, "data": event.data}, id=event.id)
                if written.finished:
                    self._finished(pipe, written.id)
                pipe.execute()
            except redis.WatchError:
                raise StaleStep(before.id) from None
        return written

    def _finished(self, pipe: Any, search_id: str) -> None:
        pipe.srem(self._k.active_searches(), search_id)
        pipe.zrem(due_searches(), job_member(self._k.tenant, search_id))
        pipe.delete(self._k.search_cancel(search_id))
        if self._retention > 0:
            pipe.expire(self._k.search_events(search_id), self._retention)

    # ---- cancelling and deleting ----------------------------------------------------
    def request_cancel(self, search_id: str) -> None:
        """Flag the search for its controller, and make it due at once."""
        with self._r.pipeline(transaction=True) as pipe:
            pipe.set(self._k.search_cancel(search_id), b"1", ex=7 * 24 * 3600)
            pipe.zadd(due_searches(), {job_member(self._k.tenant, search_id): 0}, xx=True)
            pipe.execute()

    def delete(self, search_id: str) -> bool:
        """Remove a finished search's own keys (its trials are jobs: `Jobs.delete` each first).
        Not a MULTI, so that deleting works on a full Redis (see Datasets.delete)."""
        with self._r.pipeline(transaction=False) as pipe:
            self._remove(pipe, search_id)
            removed = pipe.execute()
        return bool(removed[0])

    def _remove(self, pipe: Any, search_id: str) -> None:
        pipe.delete(self._k.search(search_id))  # first: from here on the search is a 404
        pipe.zrem(self._k.search_index(), search_id)
        pipe.delete(
            self._k.search_candidates(search_id),
            self._k.search_results(search_id),
            self._k.search_events(search_id),
            self._k.search_cancel(search_id),
            self._k.search_jobs(search_id),
        )
        pipe.srem(self._k.active_searches(), search_id)
        pipe.zrem(due_searches(), job_member(self._k.tenant, search_id))

    def trial_job_ids(self, search_id: str) -> list[str]:
        raws = self._r.zrange(self._k.search_jobs(search_id), 0, -1)
        return [raw.decode() if isinstance(raw, bytes) else str(raw) for raw in raws]


def event_body(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload)
