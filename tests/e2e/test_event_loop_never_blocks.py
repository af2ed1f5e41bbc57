"""No route blocks the API's event loop on Redis.

Redis is paused (CLIENT PAUSE: it answers nobody for a while) and one request of each kind is
sent; meanwhile /healthz, which needs no Redis, must keep answering at once. A synchronous
Redis call made on the event loop would hold every other request, /healthz included, until
Redis answered or the call timed out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.e2e.helpers import blobs, submit, upload_json, wait_for
from tests.processes import Process, start_api

KEY = "loop-key-0123456789"
PAUSE_MS = 1500
HEALTHZ_WITHIN_SECS = 0.5  # Redis calls time out after 0.9 s: a blocked loop shows


@pytest.fixture
def api(redis_url: str, tenant: str) -> Iterator[str]:
    proc: Process
    # No rate limit: its (asynchronous) Redis call would fail first and hide the route's own.
    proc, base = start_api(
        redis_url, MLPFORGE_API_KEYS=f"{tenant}:{KEY}", MLPFORGE_RATE_LIMIT_PER_SECOND="0"
    )
    yield base
    proc.stop()


@pytest.fixture
def finished_job(api: str, worker: Process) -> dict[str, str]:
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {KEY}"}) as client:
        X, y = blobs(60)
        dataset = upload_json(client, X, y)
        job = submit(client, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 3})
        done = wait_for(client, job["id"])
    assert done["status"] == "succeeded", done
    return {"dataset": dataset["id"], "job": job["id"], "model": done["model_id"]}


REQUESTS = {
    "upload": ("POST", "/v1/datasets", {"features": [[1, 2], [3, 4]], "targets": [0, 1]}),
    "job": ("GET", "/v1/jobs/{job}", None),
    "events": ("GET", "/v1/jobs/{job}/events", None),
    "predict": ("POST", "/v1/models/{model}/predict", {"inputs": [[0, 0, 0]]}),
    "readyz": ("GET", "/readyz", None),
}


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_a_paused_redis_does_not_stall_healthz(
    api: str, redis_url: str, finished_job: dict[str, str], kind: str
) -> None:
    method, path, body = REQUESTS[kind]
    headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": f"loop-{time.time_ns()}"}
    with httpx.Client(base_url=api, timeout=10) as health:
        assert health.get("/healthz").status_code == 200  # connected before the pause
        redis.Redis.from_url(redis_url).execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
        request = threading.Thread(
            target=lambda: httpx.request(
                method, api + path.format(**finished_job), json=body, headers=headers, timeout=10
            )
        )
        request.start()
        slowest = 0.0
        until = time.monotonic() + PAUSE_MS / 1000
        while time.monotonic() < until:
            began = time.monotonic()
            assert health.get("/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - began)
            time.sleep(0.02)
        request.join()
    assert slowest < HEALTHZ_WITHIN_SECS, f"{kind}: /healthz took {slowest:.2f} s"
