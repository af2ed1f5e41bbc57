"""Find running jobs whose worker died (their lease expired) and queue them again.

Every worker runs this in a thread. The re-queue of one attempt is claimed with SET NX, so
many reapers re-queue a job once; the new attempt resumes from the job's last checkpoint.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from celery import Celery

from mlpforge.queueing import send_training
from store import Store
from store.keys import TenantKeys, requeue_claim, running_jobs

log = logging.getLogger(__name__)

CLAIM_TTL_SECS = 600


def _elapsed_secs(started_at: str | None) -> float:
    if not started_at:
        return 0.0
    started = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    return (datetime.now(UTC) - started).total_seconds()


def reap_once(client: redis.Redis, app: Celery) -> list[str]:
    """One sweep; returns the ids of the jobs queued again."""
    requeued: list[str] = []
    for raw in client.sscan_iter(running_jobs(), count=200):
        member = raw.decode() if isinstance(raw, bytes) else str(raw)
        tenant, _, job_id = member.rpartition("/")
        job = Store(client, tenant).jobs.get(job_id)
        if job is None or job.finished:
            client.srem(running_jobs(), member)
            continue
        if job.status != "running" or client.exists(TenantKeys(tenant).job_lease(job_id)):
            continue
        if not client.set(
            requeue_claim(tenant, job_id, job.attempts), b"1", nx=True, ex=CLAIM_TTL_SECS
        ):
            continue
        remaining = int(job.max_runtime_secs - _elapsed_secs(job.started_at))
        log.warning("job %s lost its worker (attempt %d); queueing it again", job_id, job.attempts)
        send_training(app, tenant=tenant, job_id=job_id, queue=job.queue, runtime_secs=remaining)
        requeued.append(job_id)
    return requeued
