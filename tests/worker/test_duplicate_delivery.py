"""Two real workers and a redelivered message for a running job: only one trains it."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from mlpforge.queueing import make_celery, send_training
from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from service.app import create_app
from service.auth import OPEN_TENANT
from tests.e2e.helpers import blobs, stored, submit, upload_json, wait_for
from tests.processes import start_worker

# Long enough (a few seconds) that the duplicate reaches the idle worker while the job still
# runs, even on a loaded machine: at 40 epochs (~0.4 s) it sometimes arrived after the end,
# and a finished job's redelivery is dropped without the line this test looks for.
PARAMS = {"hidden_layer_sizes": [64], "batch_size": 16, "max_iter": 300,
          "n_iter_no_change": 1000, "random_state": 1}


def test_a_duplicate_delivery_of_a_running_job_is_ignored(isolated_redis: RedisServer) -> None:
    url = isolated_redis.url
    settings = Settings(redis_url=url)
    workers = [start_worker(url, name=f"dup-{i}") for i in range(2)]
    try:
        with TestClient(create_app(settings)) as client:
            X, y = blobs(600)
            dataset = upload_json(client, X, y)  # type: ignore[arg-type]
            job = submit(client, dataset["id"], params=PARAMS)  # type: ignore[arg-type]
            running = wait_for(client, job["id"], {"running"}, timeout=60)  # type: ignore[arg-type]
            assert running["status"] == "running"
            # The broker hands the same job out again (a visibility-timeout redelivery).
            send_training(make_celery(settings), tenant=OPEN_TENANT, job_id=job["id"],
                          queue="cpu", runtime_secs=600)
            time.sleep(1.0)
            done = wait_for(client, job["id"], timeout=120)  # type: ignore[arg-type]
            history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
        assert done["status"] == "succeeded", done
        assert stored(url, job["id"]).attempts == 1
        assert [h["epoch"] for h in history] == list(range(1, done["epoch"] + 1))
        logs = "".join(worker.log() for worker in workers)
        assert "duplicate delivery ignored" in logs
    finally:
        for worker in workers:
            worker.stop()
