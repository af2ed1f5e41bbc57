"""200 tiny jobs submitted concurrently by 32 clients, two workers: all succeed, none is lost,
none runs twice."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from mlpforge.redis_server import RedisServer
from tests.e2e.helpers import blobs, stored, upload_json
from tests.processes import start_api, start_worker

N_JOBS = 200
N_CLIENTS = 32


def test_200_jobs_from_32_clients_on_2_workers(isolated_redis: RedisServer) -> None:
    url = isolated_redis.url
    workers = [start_worker(url, name=f"load-{i}") for i in range(2)]
    api, base = start_api(url, MLPFORGE_RATE_LIMIT_PER_SECOND="0")
    try:
        with httpx.Client(base_url=base, timeout=30) as setup:
            X, y = blobs(40)
            dataset_id = upload_json(setup, X, y)["id"]

        def submit(index: int) -> str:
            with httpx.Client(base_url=base, timeout=30) as client:
                answer = client.post(
                    "/v1/jobs",
                    json={"dataset_id": dataset_id,
                          "params": {"hidden_layer_sizes": [4], "max_iter": 2,
                                     "random_state": index}},
                )
                assert answer.status_code == 202, answer.text
                return str(answer.json()["id"])

        with ThreadPoolExecutor(N_CLIENTS) as pool:
            ids = list(pool.map(submit, range(N_JOBS)))
        assert len(set(ids)) == N_JOBS

        deadline = time.monotonic() + 240
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                jobs = {job["id"]: job for job in _all_jobs(client)}
                done = [j for j in jobs.values() if j["status"] in {"succeeded", "failed"}]
                if len(done) == N_JOBS or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert set(jobs) == set(ids)
            assert all(job["status"] == "succeeded" for job in jobs.values()), [
                j for j in jobs.values() if j["status"] != "succeeded"
            ][:3]
            # None ran twice.
            assert "attempts" not in next(iter(jobs.values()))  # the store's bookkeeping
            assert all(stored(url, job_id).attempts == 1 for job_id in ids)
            for job_id in ids[:: N_JOBS // 20]:
                history = client.get(f"/v1/jobs/{job_id}/metrics").json()["history"]
                assert [h["epoch"] for h in history] == [1, 2]
    finally:
        api.stop()
        for worker in workers:
            worker.stop()


def _all_jobs(client: httpx.Client) -> list[dict]:
    jobs: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/jobs", params=params).json()
        jobs += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return jobs
