"""Per-tenant request rate and queued-job limits: 429 with Retry-After, kept in Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from service.app import create_app
from tests.e2e.helpers import assert_problem


def _client(settings: Settings, key: str) -> TestClient:
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {key}"
    return client


@pytest.fixture
def limited(service_redis_url: str, tenant: str) -> Iterator[TestClient]:
    settings = Settings(
        redis_url=service_redis_url,
        api_keys=f"{tenant}:k-{tenant},{tenant}x:k2-{tenant}",
        rate_limit_per_second=1,
        rate_limit_burst=5,
    )
    with _client(settings, f"k-{tenant}") as client:
        yield client


def test_rate_limit_answers_429_with_retry_after(limited: TestClient, tenant: str) -> None:
    answers = [limited.get("/v1/jobs").status_code for _ in range(8)]
    assert answers[:5] == [200] * 5
    assert 429 in answers[5:]
    refused = limited.get("/v1/jobs")
    assert_problem(refused, 429, "rate limit")
    assert int(refused.headers["Retry-After"]) >= 1
    # Another tenant's bucket is its own.
    other = limited.get("/v1/jobs", headers={"Authorization": f"Bearer k2-{tenant}"})
    assert other.status_code == 200
    # Health checks are never limited.
    assert limited.get("/healthz").status_code == 200


def test_queued_jobs_per_tenant(service_redis_url: str, tenant: str) -> None:
    settings = Settings(
        redis_url=service_redis_url, api_keys=f"{tenant}:k-{tenant}", max_active_jobs=2
    )
    with _client(settings, f"k-{tenant}") as client:
        dataset = client.post(
            "/v1/datasets", json={"features": [[0], [1], [2], [3]], "targets": [0, 1, 0, 1]}
        ).json()
        # A queue no worker listens to, so these jobs stay queued.
        body = {"dataset_id": dataset["id"], "device": "gpu", "params": {"max_iter": 1}}
        assert client.post("/v1/jobs", json=body).status_code == 202
        second = client.post("/v1/jobs", json=body)
        assert second.status_code == 202
        refused = client.post("/v1/jobs", json=body)
        assert_problem(refused, 429, "MLPFORGE_MAX_ACTIVE_JOBS")
        assert client.post(f"/v1/jobs/{second.json()['id']}/cancel").status_code == 202
        assert client.post("/v1/jobs", json=body).status_code == 202
