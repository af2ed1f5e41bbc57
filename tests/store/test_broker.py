"""Finding a job's message in the broker, in the layout kombu's Redis transport really uses.

Messages are sent with the real Celery producer; no worker consumes the queue, so they wait
in its list. (A delivered message, in kombu's `unacked` hash, is checked with a real worker in
tests/worker/test_lost_queued_jobs.py.)
"""

from __future__ import annotations

import secrets

import redis

from mlpforge.queueing import TRAIN_TASK, make_celery, send_training
from mlpforge.settings import Settings
from store.broker import jobs_in_broker
from store.keys import broker_queues


def test_a_waiting_message_is_found_by_its_tenant_and_job(
    redis_url: str, redis_client: redis.Redis, tenant: str
) -> None:
    queue = f"nobody-{secrets.token_hex(4)}"  # a queue no worker of the suite consumes
    app = make_celery(Settings(redis_url=redis_url))
    send_training(app, tenant=tenant, job_id="job_sent", queue=queue, runtime_secs=60)
    wanted = {(tenant, "job_sent"), (tenant, "job_lost"), ("other", "job_sent")}
    try:
        found = jobs_in_broker(redis_client, wanted, [queue], task=TRAIN_TASK)
        assert found == {(tenant, "job_sent")}
        assert jobs_in_broker(redis_client, wanted, [queue], task="another.task") == set()
    finally:
        redis_client.delete(*broker_queues(queue))


def test_a_long_queue_is_read_in_chunks(redis_url: str, redis_client: redis.Redis) -> None:
    queue = f"nobody-{secrets.token_hex(4)}"
    app = make_celery(Settings(redis_url=redis_url))
    for i in range(1500):  # more than one chunk; the job sent first is at the far end
        send_training(app, tenant="t", job_id=f"job_{i}", queue=queue, runtime_secs=60)
    try:
        assert redis_client.llen(queue) == 1500
        wanted = {("t", "job_0"), ("t", "job_1499"), ("t", "job_1500")}
        found = jobs_in_broker(redis_client, wanted, [queue], task=TRAIN_TASK)
        assert found == {("t", "job_0"), ("t", "job_1499")}
    finally:
        redis_client.delete(*broker_queues(queue))
