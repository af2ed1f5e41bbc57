"""A worker killed with SIGKILL mid-fit: another worker resumes the job from its checkpoint
and ends with each epoch once in the history and the same weights as an uninterrupted run."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from engine import load_model
from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from service.app import create_app
from tests.e2e.helpers import stored, submit, wait_for
from tests.processes import start_worker

LEASE_SECS = "3"
PARAMS = {
    "hidden_layer_sizes": [256, 128],
    "batch_size": 32,
    "max_iter": 14,
    "n_iter_no_change": 1000,
    "random_state": 7,
    "learning_rate_init": 0.0005,
}


@pytest.fixture
def client(isolated_redis: RedisServer) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(redis_url=isolated_redis.url))) as test_client:
        yield test_client


def _dataset(client: TestClient) -> str:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 30)).round(3)
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    response = client.post("/v1/datasets", json={"features": X.tolist(), "targets": y.tolist()})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _weights(client: TestClient, model_id: str) -> list[tuple[np.ndarray, np.ndarray]]:
    blob = client.get(f"/v1/models/{model_id}/export").content
    return load_model(blob).layers()


def test_sigkill_mid_fit_then_resume_is_exact(
    client: TestClient, isolated_redis: RedisServer
) -> None:
    url = isolated_redis.url
    dataset_id = _dataset(client)
    first = start_worker(url, name="doomed", MLPFORGE_LEASE_SECS=LEASE_SECS)
    job = submit(client, dataset_id, params=PARAMS)  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + 120
        while client.get(f"/v1/jobs/{job['id']}").json()["epoch"] < 3:
            assert time.monotonic() < deadline, "the job never reached epoch 3"
            time.sleep(0.05)
    finally:
        first.kill()  # SIGKILL to the worker's whole process group, mid-epoch
    killed_at = time.monotonic()
    assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "running"

    second = start_worker(url, name="rescuer", MLPFORGE_LEASE_SECS=LEASE_SECS)
    try:
        resumed = wait_for(client, job["id"], {"running", "succeeded"}, timeout=30)  # type: ignore[arg-type]
        while resumed["status"] == "running" and resumed["epoch"] < 4:
            resumed = client.get(f"/v1/jobs/{job['id']}").json()
            assert time.monotonic() - killed_at < 30, "no worker resumed the job within 30 s"
            time.sleep(0.1)
        done = wait_for(client, job["id"], timeout=180)  # type: ignore[arg-type]
        assert done["status"] == "succeeded", done
        assert stored(url, job["id"]).attempts == 2

        # The same job, never interrupted, on the same kind of worker.
        twin = wait_for(client, submit(client, dataset_id, params=PARAMS)["id"], timeout=180)  # type: ignore[arg-type]
        assert twin["status"] == "succeeded" and stored(url, twin["id"]).attempts == 1
    finally:
        second.stop()

    history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    twin_history = client.get(f"/v1/jobs/{twin['id']}/metrics").json()["history"]
    assert [h["epoch"] for h in history] == list(range(1, PARAMS["max_iter"] + 1))
    assert [h["loss"] for h in history] == [h["loss"] for h in twin_history]
    for (w, b), (w2, b2) in zip(
        _weights(client, done["model_id"]), _weights(client, twin["model_id"]), strict=True
    ):
        assert np.array_equal(w, w2) and np.array_equal(b, b2)


def test_sigkill_inside_the_first_epoch_resumes_from_a_mid_epoch_checkpoint(
    client: TestClient, isolated_redis: RedisServer
) -> None:
    url = isolated_redis.url
    params = {**PARAMS, "batch_size": 2, "max_iter": 3}  # epochs far longer than 0.05 s
    dataset_id = _dataset(client)
    env = {"MLPFORGE_LEASE_SECS": LEASE_SECS, "MLPFORGE_CHECKPOINT_SECS": "0.05"}
    first = start_worker(url, name="doomed-mid", **env)
    job = submit(client, dataset_id, params=params)  # type: ignore[arg-type]
    checkpoint_key = f"mlpforge:t:default:job:{job['id']}:checkpoint"
    store = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 60
        while not store.exists(checkpoint_key):
            assert time.monotonic() < deadline, "no checkpoint was written inside the epoch"
            time.sleep(0.05)
    finally:
        first.kill()
    assert client.get(f"/v1/jobs/{job['id']}").json()["epoch"] == 0  # killed mid-epoch 1

    second = start_worker(url, name="rescuer-mid", **env)
    try:
        done = wait_for(client, job["id"], timeout=240)  # type: ignore[arg-type]
        assert done["status"] == "succeeded" and stored(url, job["id"]).attempts == 2, done
        assert "resumes from its checkpoint after 0 finished epoch(s)" in second.log()
        twin = wait_for(client, submit(client, dataset_id, params=params)["id"], timeout=240)  # type: ignore[arg-type]
    finally:
        second.stop()
    history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    twin_history = client.get(f"/v1/jobs/{twin['id']}/metrics").json()["history"]
    assert [h["loss"] for h in history] == [h["loss"] for h in twin_history]
    for (w, b), (w2, b2) in zip(
        _weights(client, done["model_id"]), _weights(client, twin["model_id"]), strict=True
    ):
        assert np.array_equal(w, w2) and np.array_equal(b, b2)
