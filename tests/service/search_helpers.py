"""Searches through the in-process app, their trials trained by `run_job` in this process and
the search stepped by its controller here: what a worker does, one step at a time."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import redis
from fastapi.testclient import TestClient

from mlpforge.search.controller import Controller
from mlpforge.settings import Settings
from worker.training import run_job

FINISHED = {"succeeded", "failed", "cancelled"}


def separable(n: int = 60, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).round(3)
    return X, ["yes" if row[0] + row[1] > 0 else "no" for row in X]


def dataset(client: TestClient, n: int = 60) -> str:
    X, y = separable(n)
    answer = client.post("/v1/datasets", json={"features": X.tolist(), "targets": y})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def create(client: TestClient, dataset_id: str, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/searches", json={"dataset_id": dataset_id, **body})
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/v1/searches/{answer.json()['id']}"
    return dict(answer.json())


def trial_jobs(client: TestClient, search_id: str, **filters: Any) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"search_id": search_id, "limit": 100, **filters}
        page = client.get("/v1/jobs", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        jobs += page.json()["data"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return jobs


def drive(
    client: TestClient, settings: Settings, tenant: str, search_id: str, timeout: float = 240
) -> dict[str, Any]:
    """Train the search's queued trials here and step it, until it has finished."""
    controller = Controller(
        redis.Redis.from_url(settings.redis_url),
        client.app.state.queue,
        settings,  # type: ignore[attr-defined]
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job in trial_jobs(client, search_id, status="queued"):
            run_job(tenant, job["id"], settings)
        controller.step(tenant, search_id)
        search = dict(client.get(f"/v1/searches/{search_id}").json())
        if search["status"] in FINISHED:
            return search
        time.sleep(0.02)
    raise AssertionError(f"search {search_id} did not finish in {timeout}s")
