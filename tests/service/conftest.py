"""The app in-process (Starlette's TestClient) over the real Redis; no worker is needed here.

Its jobs go to a database of the suite's Redis that no Celery worker consumes (the session
worker of the end-to-end tests consumes database 9): a test that submits a job and then
cancels, counts or deletes it must not race a worker that trains it meanwhile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from service.app import create_app

SERVICE_DB = 10


@pytest.fixture(scope="session")
def service_redis_url(redis_url: str) -> str:
    return f"{redis_url.rsplit('/', 1)[0]}/{SERVICE_DB}"


@pytest.fixture(scope="session")
def redis_client(service_redis_url: str) -> redis.Redis:
    """The in-process app's Redis (overrides the suite's: these tests look at their keys)."""
    return redis.Redis.from_url(service_redis_url)


@pytest.fixture
def settings(service_redis_url: str, tenant: str) -> Settings:
    return Settings(
        redis_url=service_redis_url,
        api_keys=f"{tenant}:key-{tenant}",
        max_body_bytes=2_000_000,
        max_dataset_cells=50_000,
    )


@pytest.fixture
def client(settings: Settings, tenant: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer key-{tenant}"
        yield test_client
