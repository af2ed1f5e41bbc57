"""Cancellation, conflicts, tenants, and a job that waits for a worker."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient

from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from service.app import create_app
from tests.e2e.helpers import assert_problem, blobs, stored, submit, upload_json, wait_for
from tests.processes import Process, start_api, start_worker

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


def test_readyz_counts_workers_per_queue(alice: httpx.Client, api_server: str) -> None:
    ready = httpx.get(f"{api_server}/readyz").json()
    assert ready["redis"] == "ok" and ready["workers"] >= 1
    assert ready["queues"]["cpu"] >= 1 and "gpu" in ready["queues"]


def test_readyz_sees_workers_come_and_go(isolated_redis: RedisServer) -> None:
    with TestClient(create_app(Settings(redis_url=isolated_redis.url))) as client:
        assert client.get("/readyz").json() == {
            "redis": "ok", "workers": 0, "queues": {"cpu": 0, "gpu": 0}
        }
        worker = start_worker(isolated_redis.url, queues="cpu,gpu", name="both-queues")
        try:
            assert client.get("/readyz").json() == {
                "redis": "ok", "workers": 1, "queues": {"cpu": 1, "gpu": 1}
            }
        finally:
            worker.stop()
        assert client.get("/readyz").json()["workers"] == 0  # a stopping worker says goodbye


def test_delete_a_finished_job_but_not_a_running_one(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    X, y = blobs(60)
    dataset = upload_json(alice, X, y)
    done = wait_for(alice, submit(alice, dataset["id"], params={"hidden_layer_sizes": [4],
                                                                "max_iter": 2})["id"])
    running = submit(alice, dataset["id"], params=ENDLESS)
    wait_for(alice, running["id"], {"running"})
    assert_problem(alice.delete(f"/v1/jobs/{running['id']}"), 409, "cancel it first")
    assert alice.post(f"/v1/jobs/{running['id']}/cancel").status_code == 202
    assert_problem(bob.delete(f"/v1/jobs/{done['id']}"), 404)
    assert_problem(alice.delete("/v1/jobs/job_0193a7b2c3d4e5f6a7b8c9d0"), 404)

    answer = alice.delete(f"/v1/jobs/{done['id']}")
    assert answer.status_code == 204 and answer.content == b""
    for path in (f"/v1/jobs/{done['id']}", f"/v1/jobs/{done['id']}/metrics"):
        assert_problem(alice.get(path), 404)
    listed = alice.get("/v1/jobs", params={"limit": 100}).json()["data"]
    assert done["id"] not in {job["id"] for job in listed}
    assert alice.get(f"/v1/models/{done['model_id']}").status_code == 200  # the model stays
    assert_problem(alice.delete(f"/v1/jobs/{done['id']}"), 404)
    assert wait_for(alice, running["id"])["status"] == "cancelled"
    assert alice.delete(f"/v1/jobs/{running['id']}").status_code == 204


def test_concurrent_submissions_never_overshoot_the_active_jobs_limit(
    isolated_redis: RedisServer,
) -> None:
    # No worker: every accepted job stays queued, so exactly the limit may be accepted. Several
    # bursts of 30, the accepted jobs cancelled in between: a check-then-act admission lets
    # more through in some bursts, not in every one.
    key = "key-carol-0123456789"
    api, base = start_api(isolated_redis.url, MLPFORGE_MAX_ACTIVE_JOBS="3",
                          MLPFORGE_API_KEYS=f"carol:{key}")
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            X, y = blobs(60)
            dataset = upload_json(client, X, y)
            for _ in range(5):
                answers = _burst(base, headers, {"dataset_id": dataset["id"]}, 30)
                codes = sorted(answer.status_code for answer in answers)
                assert codes == [202] * 3 + [429] * 27, codes
                for answer in answers:
                    if answer.status_code == 429:
                        assert_problem(answer, 429, "MLPFORGE_MAX_ACTIVE_JOBS")
                    else:
                        client.post(f"/v1/jobs/{answer.json()['id']}/cancel")
    finally:
        api.stop()


def _burst(
    base: str, headers: dict[str, str], body: dict[str, str], n: int
) -> list[httpx.Response]:
    """``n`` POST /v1/jobs at once, each on a connection opened beforehand."""
    gate = threading.Barrier(n)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            client.get("/healthz")  # connected before the start line
            gate.wait()
            return client.post("/v1/jobs", json=body)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(post, range(n)))


def test_a_gpu_job_without_a_gpu_worker_is_warned_or_refused(isolated_redis: RedisServer) -> None:
    url = isolated_redis.url
    with TestClient(create_app(Settings(redis_url=url))) as client:
        X, y = blobs(60)
        dataset = upload_json(client, X, y)  # type: ignore[arg-type]
        job = submit(client, dataset["id"], device="gpu")  # type: ignore[arg-type]
        assert "queue" not in job  # the store's routing, not part of the API
        assert stored(url, job["id"]).queue == "gpu" and job["requested_device"] == "gpu"
        assert len(job["warnings"]) == 1 and "no GPU worker is alive" in job["warnings"][0]
        auto = submit(client, dataset["id"], device="auto")  # type: ignore[arg-type]
        assert (stored(url, auto["id"]).queue, auto["warnings"]) == ("cpu", [])
    with TestClient(create_app(Settings(redis_url=url, refuse_gpu_without_worker=True))) as client:
        refused = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "device": "gpu"})
        body = assert_problem(refused, 422, "no GPU worker")  # type: ignore[arg-type]
        assert body["errors"][0]["loc"] == ["body", "device"]
        assert client.post(
            "/v1/jobs", json={"dataset_id": dataset["id"], "device": "cpu"}
        ).status_code == 202
