"""A search is driven by whichever worker is alive: it survives a worker killed with SIGKILL
mid-trial and its API going away, and with more workers than it may use it never has more
than ``max_parallel`` trials queued or running."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import redis

from mlpforge.redis_server import RedisServer
from service.auth import OPEN_TENANT
from store import Store
from tests.e2e.helpers import blobs, stored, upload_json
from tests.e2e.test_searches import start, trial_jobs
from tests.processes import Process, start_api, start_worker

LEASE_SECS = "3"


def _at(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_a_search_survives_a_sigkilled_worker_and_its_api(isolated_redis: RedisServer) -> None:
    url = isolated_redis.url
    api, base = start_api(url, name="search-api")
    doomed = start_worker(url, name="search-doomed", MLPFORGE_LEASE_SECS=LEASE_SECS)
    processes: list[Process] = [api, doomed]
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            X, y = blobs(400)
            dataset = upload_json(client, X, y)
            params = {"hidden_layer_sizes": [64], "max_iter": 40, "n_iter_no_change": 1000,
                      "batch_size": 16, "random_state": 0}  # fmt: skip
            search = start(
                client, dataset_id=dataset["id"], params=params, strategy="grid",
                space={"alpha": [0.0001, 0.01, 0.1]}, max_parallel=1,
            )  # fmt: skip
            deadline = time.monotonic() + 120
            while True:  # the first trial is well into its epochs
                jobs = trial_jobs(client, search["id"])
                if jobs and jobs[0]["status"] == "running" and jobs[0]["epoch"] >= 3:
                    break
                assert time.monotonic() < deadline, jobs
                time.sleep(0.05)
        victim = jobs[0]["id"]
        doomed.kill()  # SIGKILL, mid-trial
        api.kill()  # and the API is gone too: no process that was there is left
        rescuer = start_worker(url, name="search-rescuer", MLPFORGE_LEASE_SECS=LEASE_SECS)
        processes.append(rescuer)
        searches = Store(redis.Redis.from_url(url), OPEN_TENANT).searches
        deadline = time.monotonic() + 240
        while (record := searches.get(search["id"])) is not None and not record.finished:
            assert time.monotonic() < deadline, record
            time.sleep(0.2)
        assert record is not None and record.status == "succeeded", record
        assert stored(url, victim).attempts == 2  # resumed, as any job is
        api, base = start_api(url, name="search-api-again")
        processes.append(api)
        with httpx.Client(base_url=base, timeout=30) as client:
            done = client.get(f"/v1/searches/{search['id']}").json()
        assert done["trials"]["succeeded"] == 3 and len(done["leaderboard"]) == 3
        assert victim in [entry["job_id"] for entry in done["leaderboard"]]
    finally:
        for process in processes:
            process.stop()


def test_never_more_than_max_parallel_trials_in_flight_with_spare_workers(
    isolated_redis: RedisServer,
) -> None:
    url = isolated_redis.url
    api, base = start_api(url, name="parallel-api")
    workers = [start_worker(url, name=f"parallel-{i}") for i in range(3)]
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            X, y = blobs(300)
            dataset = upload_json(client, X, y)
            params = {"hidden_layer_sizes": [32], "max_iter": 30, "n_iter_no_change": 1000,
                      "batch_size": 16, "random_state": 0}  # fmt: skip
            search = start(
                client, dataset_id=dataset["id"], params=params, strategy="random",
                space={"alpha": {"low": 1e-5, "high": 1e-1, "log": True}}, max_trials=8,
                max_parallel=2, random_state=0,
            )  # fmt: skip
            most = 0
            while True:  # sampled as it runs...
                jobs = trial_jobs(client, search["id"])
                in_flight = sum(1 for job in jobs if job["status"] in ("queued", "running"))
                most = max(most, in_flight)
                assert in_flight <= 2, jobs
                if client.get(f"/v1/searches/{search['id']}").json()["status"] == "succeeded":
                    break
                time.sleep(0.02)
            jobs = trial_jobs(client, search["id"])
        assert len(jobs) == 8 and most == 2
        # ...and exactly, from the records: at no instant were three trials queued or running.
        spans = [(_at(job["created_at"]), _at(job["finished_at"])) for job in jobs]
        for moment, _ in spans:
            assert sum(1 for begin, end in spans if begin <= moment < end) <= 2
        # Two did run side by side: the bound was the search's, not the workers'.
        runs = [(_at(job["started_at"]), _at(job["finished_at"])) for job in jobs]
        assert any(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(runs) for b in runs[i + 1 :])
    finally:
        for process in [api, *workers]:
            process.stop()
