"""The time limit ends only the attempt that reached it: a stale worker's limit writes nothing."""

from __future__ import annotations

from typing import Any

import redis

from mlpforge.queueing import make_celery, send_training
from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from store import Store
from tests.processes import start_worker, wait_until
from tests.worker.helpers import stored_job

# One epoch of a wide network, one row per step: far longer than the 2 s limit below, so the
# worker is still inside its first epoch when the limit fires (its first fenced write would
# be the end of that epoch).
SLOW_EPOCH: dict[str, Any] = {"hidden_layer_sizes": (1024, 1024), "batch_size": 1, "max_iter": 5,
              "n_iter_no_change": 1000, "random_state": 0}


def test_a_stale_workers_time_limit_leaves_the_job_to_its_new_owner(
    isolated_redis: RedisServer,
) -> None:
    store = Store(redis.Redis.from_url(isolated_redis.url), "t-limit")
    job_id = stored_job(store, rows=4000, features=20, max_runtime_secs=2, **SLOW_EPOCH)
    # A long lease and no mid-epoch checkpoint: nothing tells this worker it lost the job
    # before its time limit fires.
    worker = start_worker(isolated_redis.url, name="stale", MLPFORGE_LEASE_SECS="300",
                          MLPFORGE_CHECKPOINT_SECS="300")
    try:
        app = make_celery(Settings(redis_url=isolated_redis.url))
        send_training(app, tenant=store.tenant, job_id=job_id, queue="cpu", runtime_secs=2)

        def status() -> str:
            job = store.jobs.get(job_id)
            assert job is not None
            return job.status

        wait_until(lambda: status() == "running", 60, "the worker to start the job")
        # Another worker takes the job over, as after a lost lease: attempt 2 owns it now.
        store.client.delete(store.keys.job_lease(job_id))
        assert store.jobs.start(job_id, lease_secs=300).attempts == 2
        wait_until(
            lambda: "reached its time limit in attempt 1" in worker.log() or status() != "running",
            60,
            "the stale worker's time limit",
        )
        job = store.jobs.get(job_id)
        assert job is not None
        assert (job.status, job.attempts, job.error) == ("running", 2, None), job
        assert store.jobs.renew_lease(job_id, attempt=2, lease_secs=300)  # its lease is intact
        assert "final status failed not written (no longer ours)" in worker.log()
    finally:
        worker.stop()
