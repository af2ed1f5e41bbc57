"""The set of queued jobs of every tenant, as the reaper sees it.

`Jobs` adds a job to `keys.queued_jobs()` in the script that creates it and removes it in the
transaction that starts, finishes or deletes it; the score is when it was last sent, in Redis
server time. A member older than `requeue_after_secs` is a job that either waits behind a long
queue or whose message was lost (a crash between the record and the send, or a broker write
lost with the last second of an AOF): `worker.reaper` tells the two apart with `store.broker`.
"""

from __future__ import annotations

from typing import cast

import redis

from store.keys import JobRef, broker_scan_claim, job_member, queued_jobs, split_job_member


def server_time(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return float(seconds) + micros / 1_000_000


def waiting_since(client: redis.Redis, tenant: str, job_id: str) -> float | None:
    score = client.zscore(queued_jobs(), job_member(tenant, job_id))
    return None if score is None else float(score)


def stale(client: redis.Redis, *, before: float, limit: int = 1000) -> list[JobRef]:
    """Queued jobs last sent (or last seen in the broker) before ``before``, oldest first."""
    raws = client.zrangebyscore(queued_jobs(), "-inf", f"({before}", start=0, num=limit)
    return [split_job_member(cast(bytes, raw)) for raw in raws]  # members only, no scores


def touch(client: redis.Redis, jobs: list[JobRef], at: float) -> None:
    """Mark ``jobs`` as sent (or seen waiting) at ``at``; a job no longer queued stays out."""
    if jobs:
        client.zadd(queued_jobs(), {job_member(*job): at for job in jobs}, xx=True)


def forget(client: redis.Redis, jobs: list[JobRef]) -> None:
    if jobs:
        client.zrem(queued_jobs(), *(job_member(*job) for job in jobs))


def claim_broker_scan(client: redis.Redis, every_secs: float) -> bool:
    """True for the one reaper (of all workers) that may read the broker in this interval."""
    return bool(client.set(broker_scan_claim(), b"1", nx=True, px=max(1, int(every_secs * 1000))))
