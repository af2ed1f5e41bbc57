"""Jobs: the record, its history, its event stream, its checkpoint and its cancel flag.

Reading, creating and deleting live here; every change of status in `JobTransitions`.
A job is created by one script that also admits it against the tenant's active-jobs limit,
and is listed in the global queued set (see store.queued) until a worker starts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from store.ids import new_id, utcnow
from store.job_transitions import (
    EVENTS_MAXLEN,
    JobTransitions,
    LeaseHeld,
    StaleWorker,
    TransitionRefused,
)
from store.keys import job_member, queued_jobs, running_jobs
from store.pagination import Records, recent_records, records_page
from store.records import JobRecord, Page

__all__ = [
    "EVENTS_MAXLEN",
    "JobExists",
    "Jobs",
    "LeaseHeld",
    "StaleWorker",
    "TooManyActiveJobs",
    "TransitionRefused",
]

# Admission and creation in one step: concurrent submissions cannot all pass the check.
# KEYS: record, index, the tenant's active set, the global queued set, then one index per tag
# (and the search's, for a search's trial). ARGV: record JSON, job id, limit (negative: none),
# queued-set member. A record that exists already is left alone (2): a search's controller
# that creates a trial twice (a retried step) creates it once.
_ADMIT_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 2
end
local limit = tonumber(ARGV[3])
if limit >= 0 and redis.call('SCARD', KEYS[3]) >= limit then
  return 0
end
local now = redis.call('TIME')
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], tonumber(now[1]) + tonumber(now[2]) / 1000000, ARGV[4])
for i = 5, #KEYS do
  redis.call('ZADD', KEYS[i], 0, ARGV[2])
end
return 1
"""


class TooManyActiveJobs(Exception):
    """The tenant already has its limit of queued and running jobs."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} jobs are already queued or running")
        self.limit = limit


class JobExists(Exception):
    """A job with this id was created already (see `Jobs.create`)."""


class Jobs(JobTransitions):
    # ---- reading ---------------------------------------------------------------
    def page(
        self,
        *,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        dataset_id: str | None = None,
        tag: str | None = None,
        search_id: str | None = None,
        newest_first: bool = True,
    ) -> Page[JobRecord]:
        """A page of jobs. ``tag`` and ``search_id`` read their own index, so their pages are
        full; status and dataset are filters on the records read (see
        store.pagination.MAX_SCAN)."""
        jobs, next_cursor = records_page(
            self._records,
            self._index(tag, search_id),
            lambda job: _wanted(job, status, dataset_id, tag if search_id else None),
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )
        return Page[JobRecord](data=jobs, next_cursor=next_cursor)

    def recent(
        self,
        *,
        window: int,
        status: str | None = None,
        dataset_id: str | None = None,
        tag: str | None = None,
        search_id: str | None = None,
    ) -> list[JobRecord]:
        """Of the ``window`` newest jobs (with ``tag``, of ``search_id``), those that match,
        newest first: what a listing sorted by a value ranks."""
        return recent_records(
            self._records,
            self._index(tag, search_id),
            lambda job: _wanted(job, status, dataset_id, tag if search_id else None),
            window=window,
        )

    @property
    def _records(self) -> Records[JobRecord]:
        return Records(self._r, self._k.job, JobRecord.model_validate_json)

    def _index(self, tag: str | None, search_id: str | None = None) -> str:
        if search_id is not None:
            return self._k.search_jobs(search_id)
        return self._k.job_index() if tag is None else self._k.job_tag_index(tag)

    def history(self, job_id: str) -> list[dict[str, Any]]:
        return [orjson.loads(raw) for raw in self._r.lrange(self._k.job_history(job_id), 0, -1)]

    def checkpoint(self, job_id: str) -> bytes | None:
        """The job's last checkpoint (inline in Redis, or the blob its pointer names)."""
        return self._checkpoints.read(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        return bool(self._r.exists(self._k.job_cancel(job_id)))

    def events_key(self, job_id: str) -> str:
        return self._k.job_events(job_id)

    # ---- creating --------------------------------------------------------------
    def new_record(self, **fields: Any) -> JobRecord:
        return JobRecord(id=new_id("job"), created_at=utcnow(), **fields)

    def create(self, job: JobRecord, *, max_active: int | None = None) -> JobRecord:
        """Write the record before anything is queued: a queued task always finds its job.

        With ``max_active``, the job is admitted only while the tenant has fewer queued and
        running jobs, checked and written in one script (else `TooManyActiveJobs`). A job
        whose id exists already is left as it is (`JobExists`).
        """
        admit = self._r.register_script(_ADMIT_LUA)
        admitted = admit(
            keys=[
                self._k.job(job.id),
                self._k.job_index(),
                self._k.active_jobs(),
                queued_jobs(),
                *(self._k.job_tag_index(tag) for tag in job.tags),
                *([self._k.search_jobs(job.search_id)] if job.search_id else []),
            ],
            args=[
                job.model_dump_json(),
                job.id,
                -1 if max_active is None else max_active,
                job_member(self._k.tenant, job.id),
            ],
        )
        if admitted == 2:
            raise JobExists(job.id)
        if not admitted:
            raise TooManyActiveJobs(max_active or 0)
        return job

    def discard(self, job_id: str) -> None:
        """Remove a record that was never queued (lost an idempotency race, or Redis refused)."""
        job = self.get(job_id)
        with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._k.job(job_id))
            pipe.zrem(self._k.job_index(), job_id)
            self._untag(pipe, job_id, job.tags if job else [])
            if job is not None and job.search_id:
                pipe.zrem(self._k.search_jobs(job.search_id), job_id)
            pipe.srem(self._k.active_jobs(), job_id)
            pipe.zrem(queued_jobs(), job_member(self._k.tenant, job_id))
            pipe.execute()

    def delete(self, job_id: str) -> bool:
        """Remove a finished job and everything kept for it (its model stays); False if unknown.

        A queued or running job is refused with `TransitionRefused`: cancel it first. A finished
        job never changes again, so nothing can race this between the check and the deletes;
        they are not a MULTI, so that deleting works on a full Redis (see Datasets.delete).
        """
        job = self.get(job_id)
        if job is None:
            return False
        if not job.finished:
            raise TransitionRefused(job)
        member = job_member(self._k.tenant, job_id)
        checkpoint = self._checkpoints.current_blob(job_id)
        with self._r.pipeline(transaction=False) as pipe:
            pipe.delete(self._k.job(job_id))  # first: from here on the job is a 404
            pipe.zrem(self._k.job_index(), job_id)
            self._untag(pipe, job_id, job.tags)
            if job.search_id:
                pipe.zrem(self._k.search_jobs(job.search_id), job_id)
            pipe.delete(
                self._k.job_history(job_id),
                self._k.job_events(job_id),
                self._k.job_cancel(job_id),
                self._k.job_lease(job_id),
            )
            self._checkpoints.drop(pipe, job_id)
            pipe.srem(self._k.active_jobs(), job_id)
            pipe.srem(running_jobs(), member)
            pipe.zrem(queued_jobs(), member)
            removed = pipe.execute()
        self._checkpoints.discard(checkpoint)
        return bool(removed[0])

    def active_count(self) -> int:
        return int(self._r.scard(self._k.active_jobs()))

    # ---- naming ----------------------------------------------------------------
    def annotate(
        self, job_id: str, *, name: str | None, tags: Sequence[str] | None, rename: bool
    ) -> JobRecord:
        """Change a job's name (when ``rename``; None clears it) and replace its tags (unless
        None), with the tag indexes, in whatever status the job is."""
        before: list[str] = []

        def mutate(job: JobRecord) -> JobRecord:
            before[:] = job.tags
            update: dict[str, Any] = {"name": name} if rename else {}
            if tags is not None:
                update["tags"] = list(tags)
            return job.model_copy(update=update)

        def extra(pipe: Any, job: JobRecord) -> None:
            self._untag(pipe, job_id, [t for t in before if t not in job.tags])
            for tag in job.tags:
                pipe.zadd(self._k.job_tag_index(tag), {job_id: 0})

        return self._change(job_id, mutate, extra)

    def _untag(self, pipe: Any, job_id: str, tags: Sequence[str]) -> None:
        for tag in tags:
            pipe.zrem(self._k.job_tag_index(tag), job_id)


def _wanted(
    job: JobRecord, status: str | None, dataset_id: str | None, tag: str | None = None
) -> bool:
    return (
        (status is None or job.status == status)
        and (dataset_id is None or job.dataset_id == dataset_id)
        and (tag is None or tag in job.tags)
    )
