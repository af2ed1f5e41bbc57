"""Redis stops and comes back on the same port: the API answers 503 fast meanwhile, then both
the API and the worker recover by themselves, without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlpforge.redis_server import RedisServer
from tests.e2e.helpers import assert_problem, blobs, submit, upload_json, wait_for
from tests.processes import start_api, start_worker, wait_until


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    # Persistent, so that what was stored before the outage is there after it.
    with RedisServer(data_dir=tmp_path, persistent=True) as server:
        yield server


def test_redis_outage_and_recovery(private_redis: RedisServer) -> None:
    url = private_redis.url
    worker = start_worker(url, name="outage-worker")
    api, base = start_api(url)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            X, y = blobs(60)
            dataset = upload_json(client, X, y)
            job = submit(client, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 3})
            assert wait_for(client, job["id"])["status"] == "succeeded"

            private_redis.stop()
            for method, path in (
                ("GET", "/v1/jobs"),
                ("GET", f"/v1/jobs/{job['id']}"),
                ("POST", "/v1/datasets"),
            ):
                started = time.monotonic()
                kwargs = {"json": {"features": [[1]], "targets": [1]}} if method == "POST" else {}
                answer = client.request(method, path, **kwargs)
                assert time.monotonic() - started < 2.0, f"{path} took too long"
                assert_problem(answer, 503, "Redis")
            started = time.monotonic()
            ready = client.get("/readyz")
            assert ready.status_code == 503 and time.monotonic() - started < 2.0
            assert ready.json()["redis"] == "unavailable"
            assert client.get("/healthz").status_code == 200

            private_redis.start()
            wait_until(lambda: client.get("/v1/jobs").status_code == 200, 20, "API recovery")
            # Nothing stored before the outage was lost.
            assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "succeeded"
            wait_until(
                lambda: client.get("/readyz").json().get("workers", 0) >= 1,
                30,
                "the worker's heartbeat after the outage",
            )
            again = submit(client, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 3})
            assert wait_for(client, again["id"], timeout=60)["status"] == "succeeded"
    finally:
        api.stop()
        worker.stop()


def test_a_full_redis_is_a_507_and_keeps_what_it_has(tmp_path: Path) -> None:
    server = RedisServer(
        data_dir=tmp_path, extra=("--maxmemory", "3mb", "--maxmemory-policy", "noeviction")
    )
    server.start()
    api, base = start_api(server.url)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            X, y = blobs(60)
            kept = upload_json(client, X, y)
            big = {
                "features": [[float(i)] * 100 for i in range(20_000)],
                "targets": [0, 1] * 10_000,
            }
            assert_problem(client.post("/v1/datasets", json=big), 507, "full")
            assert client.get(f"/v1/datasets/{kept['id']}").status_code == 200
            assert client.delete(f"/v1/datasets/{kept['id']}").status_code == 204  # frees room
    finally:
        api.stop()
        server.stop()
