"""Find jobs that nothing will run any more, and queue them again. Every worker runs this in a
thread, every few seconds.

- A running job whose worker died (its lease expired): the re-queue of one attempt is claimed
  with SET NX, so many reapers re-queue a job once; the new attempt resumes from the job's last
  checkpoint.
- A queued job with no message in the broker (a crash between writing the job and sending its
  task, or a broker write lost with the last second of an AOF): once it has waited
  `requeue_after_secs`, one reaper looks through the broker (store.broker) and sends again the
  jobs it does not find there. A job merely waiting behind a long queue is found, and only
  marked as seen. The broker is read at most once per `requeue_after_secs` across all workers,
  and only while some job has waited that long. A job sent twice is still trained once: its
  lease keeps the second delivery out (`Jobs.start` raises `LeaseHeld`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from celery import Celery

from mlpforge.queueing import TRAIN_TASK, send_training
from store import Store, queued
from store.broker import jobs_in_broker
from store.keys import TenantKeys, requeue_claim, running_jobs, split_job_member

log = logging.getLogger(__name__)

CLAIM_TTL_SECS = 600
# Queued jobs looked at per round: the oldest first; the rest wait for the next rounds.
QUEUED_BATCH = 1000


def _elapsed_secs(started_at: str | None) -> float:
    if not started_at:
        return 0.0
    started = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    return (datetime.now(UTC) - started).total_seconds()


def reap_once(client: redis.Redis, app: Celery, *, requeue_after_secs: float) -> list[str]:
    """One sweep of both kinds; returns the ids of the jobs queued again."""
    return [
        *requeue_orphaned_running(client, app),
        *resend_lost_queued(client, app, requeue_after_secs),
    ]


def requeue_orphaned_running(client: redis.Redis, app: Celery) -> list[str]:
    requeued: list[str] = []
    for raw in client.sscan_iter(running_jobs(), count=200):
        tenant, job_id = split_job_member(raw)
        job = Store(client, tenant).jobs.get(job_id)
        if job is None or job.finished:
            client.srem(running_jobs(), raw)
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


def _still_queued(client: redis.Redis, tenant: str, job_id: str) -> bool:
    """Read again after the broker was: a worker may have taken the job (and its message
    left the broker) while the broker was being read."""
    job = Store(client, tenant).jobs.get(job_id)
    return job is not None and job.status == "queued"


def resend_lost_queued(client: redis.Redis, app: Celery, requeue_after_secs: float) -> list[str]:
    now = queued.server_time(client)
    candidates = queued.stale(client, before=now - requeue_after_secs, limit=QUEUED_BATCH)
    if not candidates or not queued.claim_broker_scan(client, requeue_after_secs):
        return []
    jobs = {ref: Store(client, ref[0]).jobs.get(ref[1]) for ref in candidates}
    gone = [ref for ref, job in jobs.items() if job is None or job.status != "queued"]
    queued.forget(client, gone)  # started or ended meanwhile; their own writes drop them too
    waiting = {ref: job for ref, job in jobs.items() if job is not None and ref not in gone}
    if not waiting:
        return []
    queues = {job.queue for job in waiting.values()}
    found = jobs_in_broker(client, set(waiting), queues, task=TRAIN_TASK)
    queued.touch(client, sorted(found), now)  # waiting behind others: look again later
    resent: list[str] = []
    for (tenant, job_id), job in waiting.items():
        if (tenant, job_id) in found or not _still_queued(client, tenant, job_id):
            continue
        log.warning("job %s is queued but has no message in the broker; sending it again", job_id)
        send_training(
            app, tenant=tenant, job_id=job_id, queue=job.queue, runtime_secs=job.max_runtime_secs
        )
        queued.touch(client, [(tenant, job_id)], now)
        resent.append(job_id)
    return resent
