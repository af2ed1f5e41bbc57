"""Jobs through the in-process app: submitted over HTTP, trained by `run_job` in this process."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from worker.training import run_job

FINISHED = {"succeeded", "failed", "cancelled"}


def upload(client: TestClient, X: np.ndarray, y: Any, name: str = "t") -> dict[str, Any]:
    targets = y.tolist() if isinstance(y, np.ndarray) else list(y)
    answer = client.post(
        "/v1/datasets", json={"name": name, "features": X.tolist(), "targets": targets}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def submit(client: TestClient, dataset_id: str, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/jobs", json={"dataset_id": dataset_id, **body})
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def train(
    client: TestClient, settings: Settings, tenant: str, job_id: str, timeout: float = 60
) -> dict[str, Any]:
    """Run the job here, then wait for it to have finished (a Celery worker sharing the test
    Redis may have taken it first: it finishes it just the same)."""
    run_job(tenant, job_id, settings)
    deadline = time.monotonic() + timeout
    while True:
        job = dict(client.get(f"/v1/jobs/{job_id}").json())
        if job["status"] in FINISHED or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def blobs(n: int = 90, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0, 3.0], [3.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    labels = rng.integers(0, 3, size=n)
    X = centers[labels] + rng.normal(scale=0.8, size=(n, 3))
    return X.round(4), np.array(["red", "green", "blue"])[labels].tolist()
