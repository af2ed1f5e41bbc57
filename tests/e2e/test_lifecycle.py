"""Cancellation, conflicts, tenants, and a job that waits for a worker."""

from __future__ import annotations

import time

import httpx
from fastapi.testclient import TestClient

from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from service.app import create_app
from tests.e2e.helpers import assert_problem, blobs, submit, upload_json, wait_for
from tests.processes import Process, start_worker

ENDLESS = {
    "hidden_layer_sizes": [64],
    "max_iter": 100000,
    "n_iter_no_change": 100000,
    "random_state": 0,
    "batch_size": 8,
}


def test_cancel_a_running_job_then_409(alice: httpx.Client) -> None:
    X, y = blobs(400)
    dataset = upload_json(alice, X, y)
    job = submit(alice, dataset["id"], params=ENDLESS)
    running = wait_for(alice, job["id"], {"running"})
    deadline = time.monotonic() + 60
    while running["epoch"] < 1 and time.monotonic() < deadline:
        running = alice.get(f"/v1/jobs/{job['id']}").json()
    answer = alice.post(f"/v1/jobs/{job['id']}/cancel")
    assert answer.status_code == 202 and answer.json()["id"] == job["id"]
    done = wait_for(alice, job["id"], timeout=30)
    assert done["status"] == "cancelled" and done["model_id"] is None
    assert_problem(alice.post(f"/v1/jobs/{job['id']}/cancel"), 409, "already finished")


def test_cancel_a_succeeded_job_is_409(alice: httpx.Client) -> None:
    X, y = blobs(60)
    dataset = upload_json(alice, X, y)
    job = submit(alice, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 2})
    assert wait_for(alice, job["id"])["status"] == "succeeded"
    assert_problem(alice.post(f"/v1/jobs/{job['id']}/cancel"), 409)


def test_tenants_are_isolated(alice: httpx.Client, bob: httpx.Client) -> None:
    X, y = blobs(60)
    dataset = upload_json(alice, X, y)
    job = submit(alice, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 3})
    done = wait_for(alice, job["id"])
    model_id = done["model_id"]
    for path in (
        f"/v1/datasets/{dataset['id']}",
        f"/v1/jobs/{job['id']}",
        f"/v1/jobs/{job['id']}/metrics",
        f"/v1/jobs/{job['id']}/events",
        f"/v1/models/{model_id}",
        f"/v1/models/{model_id}/export",
    ):
        assert_problem(bob.get(path), 404, "does not exist")
    assert_problem(bob.post(f"/v1/jobs/{job['id']}/cancel"), 404)
    assert_problem(bob.post(f"/v1/models/{model_id}/predict", json={"inputs": [[0, 0, 0]]}), 404)
    assert_problem(bob.delete(f"/v1/models/{model_id}"), 404)
    assert_problem(bob.delete(f"/v1/datasets/{dataset['id']}"), 404)
    assert_problem(bob.post("/v1/jobs", json={"dataset_id": dataset["id"]}), 404)
    for listing in ("/v1/datasets", "/v1/jobs", "/v1/models"):
        ids = {item["id"] for item in bob.get(listing, params={"limit": 100}).json()["data"]}
        assert not ids & {dataset["id"], job["id"], model_id}
    # Alice still has everything.
    assert alice.get(f"/v1/models/{model_id}").status_code == 200


def test_keys_are_never_logged(
    alice: httpx.Client, api_process: tuple[Process, str], api_keys: dict[str, str]
) -> None:
    alice.get("/v1/jobs")
    httpx.get(f"{api_process[1]}/v1/jobs", headers={"X-API-Key": "wrong-key-1234567"})
    log = api_process[0].log_path.read_text()
    assert "Uvicorn running" in log or "Application startup complete" in log
    for key in (*api_keys.values(), "wrong-key-1234567"):
        assert key not in log


def test_keys_are_required_and_checked(api_server: str) -> None:
    assert_problem(httpx.get(f"{api_server}/v1/jobs"), 401, "API key")
    assert_problem(
        httpx.get(f"{api_server}/v1/jobs", headers={"Authorization": "Bearer nope"}), 401
    )
    assert httpx.get(f"{api_server}/healthz").status_code == 200
    assert httpx.get(f"{api_server}/openapi.json").status_code == 200
    assert httpx.get(f"{api_server}/docs").status_code == 200


def test_a_job_waits_queued_until_a_worker_starts(isolated_redis: RedisServer) -> None:
    # Its own Redis: no worker listens there until this test starts one.
    url = isolated_redis.url
    app = create_app(Settings(redis_url=url, api_keys=None))
    with TestClient(app) as client:
        X, y = blobs(60)
        dataset = upload_json(client, X, y)  # type: ignore[arg-type]
        job = submit(client, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 2})  # type: ignore[arg-type]
        time.sleep(1.5)
        assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued"
        worker = start_worker(url, name="late-worker")
        try:
            done = wait_for(client, job["id"], timeout=60)  # type: ignore[arg-type]
        finally:
            worker.stop()
        assert done["status"] == "succeeded", done


def test_time_limit_fails_the_job_without_a_model(alice: httpx.Client) -> None:
    X, y = blobs(400)
    dataset = upload_json(alice, X, y)
    job = submit(alice, dataset["id"], params=ENDLESS, max_runtime_secs=2)
    done = wait_for(alice, job["id"], timeout=60)
    assert done["status"] == "failed", done
    assert done["error"]["type"] == "TimeLimitExceeded"
    assert "time limit" in done["error"]["message"]
    assert done["model_id"] is None
    models = alice.get("/v1/models", params={"limit": 100}).json()["data"]
    assert job["id"] not in {m["job_id"] for m in models}


def test_readyz_counts_workers(alice: httpx.Client, api_server: str) -> None:
    ready = httpx.get(f"{api_server}/readyz").json()
    assert ready["redis"] == "ok" and ready["workers"] >= 1
