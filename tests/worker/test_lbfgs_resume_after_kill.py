"""An lbfgs job whose worker is killed with SIGKILL mid-fit: another worker resumes it from the
checkpointed iterate and finishes it, each iteration once in the history.

Unlike adam's or sgd's, the result is not bit-identical to an uninterrupted run: L-BFGS keeps
its curvature pairs inside scipy, so the resumed fit restarts L-BFGS from the last iterate
with what is left of max_iter and max_fun (engine/lbfgs.py; SECURITY.md, jobs)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from service.app import create_app
from tests.e2e.helpers import stored, submit, wait_for
from tests.processes import start_worker

LEASE_SECS = "3"
MAX_ITER = 80
PARAMS = {
    "solver": "lbfgs",
    "hidden_layer_sizes": [128, 128],
    "max_iter": MAX_ITER,
    "max_fun": 100000,
    "tol": 0.0,
    "random_state": 3,
}


@pytest.fixture
def client(isolated_redis: RedisServer) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(redis_url=isolated_redis.url))) as test_client:
        yield test_client


def _dataset(client: TestClient) -> str:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(6000, 30)).astype(np.float32)
    y = (np.sin(X[:, :3]).sum(axis=1) > 0).astype(np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y)
    files = {"file": ("d.npz", buffer.getvalue(), "application/octet-stream")}
    response = client.post("/v1/datasets", files=files)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_sigkill_mid_lbfgs_then_resume_from_the_checkpointed_iterate(
    client: TestClient, isolated_redis: RedisServer
) -> None:
    url = isolated_redis.url
    dataset_id = _dataset(client)
    first = start_worker(url, name="doomed-lbfgs", MLPFORGE_LEASE_SECS=LEASE_SECS)
    job = submit(client, dataset_id, params=PARAMS)  # type: ignore[arg-type]
    checkpoint_key = f"mlpforge:t:default:job:{job['id']}:checkpoint"
    store = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 120
        while not store.exists(checkpoint_key):  # one is taken 2 s into the fit
            assert time.monotonic() < deadline, "no checkpoint was written"
            time.sleep(0.05)
    finally:
        first.kill()
    killed = client.get(f"/v1/jobs/{job['id']}").json()
    assert killed["status"] == "running" and 1 <= killed["epoch"] < MAX_ITER, killed

    second = start_worker(url, name="rescuer-lbfgs", MLPFORGE_LEASE_SECS=LEASE_SECS)
    try:
        done = wait_for(client, job["id"], timeout=300)  # type: ignore[arg-type]
    finally:
        second.stop()
    assert done["status"] == "succeeded", done
    assert stored(url, job["id"]).attempts == 2
    assert "resumes from its checkpoint after" in second.log()
    history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    epochs = [h["epoch"] for h in history]
    assert epochs == list(range(1, done["epoch"] + 1)) and done["epoch"] <= MAX_ITER
    assert history[-1]["loss"] < history[0]["loss"]
    assert all(h["learning_rate"] is None for h in history)
