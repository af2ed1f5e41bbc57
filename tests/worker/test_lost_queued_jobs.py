"""A queued job with no message in the broker is sent again; one that waits in a queue is not.

Real redis-server (one per test: its broker queues are this test's alone), real Celery worker
whose reaper looks for lost jobs after MLPFORGE_REQUEUE_AFTER_SECS=1.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import redis

from mlpforge.queueing import TRAIN_TASK, make_celery, send_training
from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from store import FINISHED, Store, queued
from store.broker import jobs_in_broker
from store.keys import broker_queues
from tests.processes import start_worker, wait_until
from tests.worker.helpers import stored_job

SMALL: dict[str, Any] = {"hidden_layer_sizes": (4,), "max_iter": 3}
ENDLESS: dict[str, Any] = {"hidden_layer_sizes": (64,), "max_iter": 100000,
                           "n_iter_no_change": 100000, "batch_size": 8}


def _store(server: RedisServer) -> Store:
    return Store(redis.Redis.from_url(server.url), "t-lost")


def _status(store: Store, job_id: str) -> str:
    job = store.jobs.get(job_id)
    assert job is not None
    return job.status


def test_a_job_written_but_never_sent_is_trained_after_the_delay(
    isolated_redis: RedisServer,
) -> None:
    store = _store(isolated_redis)
    job_id = stored_job(store, **SMALL)  # the API died between the record and the send
    worker = start_worker(isolated_redis.url, name="resender", MLPFORGE_REQUEUE_AFTER_SECS="1")
    try:
        wait_until(lambda: _status(store, job_id) in FINISHED, 90, "the lost job to be trained")
        assert _status(store, job_id) == "succeeded"
        assert "has no message in the broker; sending it again" in worker.log()
    finally:
        worker.stop()


def test_a_job_waiting_in_a_queue_nobody_consumes_is_not_sent_again(
    isolated_redis: RedisServer,
) -> None:
    store = _store(isolated_redis)
    job_id = stored_job(store, queue="gpu", device="gpu", **SMALL)
    app = make_celery(Settings(redis_url=isolated_redis.url))
    send_training(app, tenant=store.tenant, job_id=job_id, queue="gpu", runtime_secs=60)
    gpu_list = broker_queues("gpu")[0]
    assert store.client.llen(gpu_list) == 1
    worker = start_worker(isolated_redis.url, queues="cpu", MLPFORGE_REQUEUE_AFTER_SECS="1")
    try:
        def seen_after(since: float) -> bool:
            return (queued.waiting_since(store.client, store.tenant, job_id) or 0) > since

        for look in range(2):  # two looks through the broker, each marks the job as seen
            since = queued.waiting_since(store.client, store.tenant, job_id)
            assert since is not None
            wait_until(partial(seen_after, since), 60, f"the reaper's look {look + 1}")
        assert store.client.llen(gpu_list) == 1
        assert _status(store, job_id) == "queued"
        assert "sending it again" not in worker.log()
    finally:
        worker.stop()


def test_a_delivered_message_is_found_in_unacked(isolated_redis: RedisServer) -> None:
    store = _store(isolated_redis)
    job_id = stored_job(store, rows=400, **ENDLESS)
    app = make_celery(Settings(redis_url=isolated_redis.url))
    send_training(app, tenant=store.tenant, job_id=job_id, queue="cpu", runtime_secs=600)
    worker = start_worker(isolated_redis.url, queues="cpu")
    try:
        wait_until(lambda: _status(store, job_id) == "running", 60, "the job to start")
        assert store.client.llen(broker_queues("cpu")[0]) == 0  # no longer waiting...
        found = jobs_in_broker(store.client, {(store.tenant, job_id)}, ["cpu"], task=TRAIN_TASK)
        assert found == {(store.tenant, job_id)}  # ...but delivered and not yet acknowledged
        store.jobs.request_cancel(job_id)
        wait_until(lambda: _status(store, job_id) in FINISHED, 60, "the cancel")
    finally:
        worker.stop()
