"""Fixtures over real parts: the machine's Redis, a real Celery worker, a real uvicorn server."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.processes import Process, start_api, start_worker

# The tests use their own Redis database, emptied once per run, never the service's db 0.
BASE_URL = os.environ.get("MLPFORGE_TEST_REDIS", "redis://127.0.0.1:6379")
TEST_DB = 9
REDIS_URL = f"{BASE_URL}/{TEST_DB}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis does not answer at {REDIS_URL}: run the tests with `make test`")
    client.flushdb()
    return REDIS_URL


@pytest.fixture(scope="session")
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def tenant() -> str:
    """A fresh tenant per test: every key lives under it, so tests never see each other."""
    return f"t{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def api_keys() -> dict[str, str]:
    return {"alice": f"key-alice-{secrets.token_hex(8)}", "bob": f"key-bob-{secrets.token_hex(8)}"}


@pytest.fixture(scope="session")
def worker(redis_url: str) -> Iterator[Process]:
    proc = start_worker(redis_url, name="session-worker")
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def api_process(redis_url: str, api_keys: dict[str, str]) -> Iterator[tuple[Process, str]]:
    keys = ",".join(f"{tenant}:{key}" for tenant, key in api_keys.items())
    proc, base = start_api(redis_url, MLPFORGE_API_KEYS=keys)
    yield proc, base
    proc.stop()


@pytest.fixture(scope="session")
def api_server(api_process: tuple[Process, str]) -> str:
    return api_process[1]


@pytest.fixture
def alice(api_server: str, api_keys: dict[str, str], worker: Process) -> Iterator[httpx.Client]:
    """Alice's HTTP client against the real server, with a real worker behind it."""
    headers = {"Authorization": f"Bearer {api_keys['alice']}"}
    with httpx.Client(base_url=api_server, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def bob(api_server: str, api_keys: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=api_server, headers={"X-API-Key": api_keys["bob"]}, timeout=30
    ) as client:
        yield client
