"""Small HTTP helpers the end-to-end tests share."""

from __future__ import annotations

import time
from typing import Any

import httpx
import numpy as np
import redis

from service.auth import OPEN_TENANT
from store import JobRecord, Store

FINISHED = {"succeeded", "failed", "cancelled"}


def upload_json(
    client: httpx.Client, X: np.ndarray, y: list[Any], name: str = "t"
) -> dict[str, Any]:
    response = client.post(
        "/v1/datasets", json={"name": name, "features": X.tolist(), "targets": y}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def submit(client: httpx.Client, dataset_id: str, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/jobs", json={"dataset_id": dataset_id, **body})
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/jobs/{response.json()['id']}"
    return dict(response.json())


def wait_for(
    client: httpx.Client, job_id: str, statuses: set[str] = FINISHED, timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses:
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not reach {statuses} in {timeout}s: {job}")


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    text = response.text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text}"
    return body


def stored(redis_url: str, job_id: str, tenant: str = OPEN_TENANT) -> JobRecord:
    """The store's record of a job: its bookkeeping (``attempts``, ``queue``) is not part of
    the API."""
    job = Store(redis.Redis.from_url(redis_url), tenant).jobs.get(job_id)
    assert job is not None, job_id
    return job


def blobs(n: int = 240, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Three well-separated clusters with string labels."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0, 4.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    labels = rng.integers(0, 3, size=n)
    X = centers[labels] + rng.normal(scale=0.6, size=(n, 3))
    names = np.array(["red", "green", "blue"])
    return X.round(4), names[labels].tolist()


def linear(n: int = 200, seed: int = 1) -> tuple[np.ndarray, list[float]]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = X @ np.array([1.5, -2.0, 0.5, 3.0]) + 10.0 + rng.normal(scale=0.05, size=n)
    return X.round(4), y.round(4).tolist()
