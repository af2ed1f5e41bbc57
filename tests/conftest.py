"""Fixtures over real parts: a private redis-server, a real Celery worker, a real uvicorn server.

The suite never touches a Redis it did not start: it starts its own `redis-server` on a free
port with its files in a temporary folder, and nothing is ever flushed. To run it against
a Redis of your choosing, say so explicitly with ``MLPFORGE_TEST_REDIS=redis://host:port``
(database 9 is used, and still nothing is flushed); the few tests that need an empty Redis
(`isolated_redis`) always start one of their own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from mlpforge.redis_server import RedisServer
from tests.blob_servers import BACKENDS, BlobBackend, S3Server, backend
from tests.processes import Process, start_api, start_worker

TEST_DB = 9


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    explicit = os.environ.get("MLPFORGE_TEST_REDIS")
    if explicit:
        url = f"{explicit.rstrip('/')}/{TEST_DB}"
        try:
            redis.Redis.from_url(url).ping()
        except redis.ConnectionError:
            pytest.fail(f"MLPFORGE_TEST_REDIS: Redis does not answer at {url}")
        yield url
        return
    with RedisServer(data_dir=tmp_path_factory.mktemp("redis")) as server:
        yield f"{server.base_url}/{TEST_DB}"


@pytest.fixture
def isolated_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own: a broker queue that no other test's worker consumes."""
    with RedisServer(data_dir=tmp_path / "redis") as server:
        yield server


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


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server (moto's, a child process on a free loopback port)."""
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def blob_backend(request: pytest.FixtureRequest, tmp_path: Path) -> BlobBackend:
    """Each blob store in turn — Redis, a folder, S3 — in a place of this test's own."""
    kind: str = request.param
    s3 = request.getfixturevalue("s3_server") if kind == "s3" else None
    return backend(kind, tmp_path / "blobs", s3)


@pytest.fixture(params=[kind for kind in BACKENDS if kind != "redis"])
def external_blob_backend(request: pytest.FixtureRequest, tmp_path: Path) -> BlobBackend:
    """A folder, then S3: the stores whose blobs live outside Redis's transactions."""
    kind: str = request.param
    s3 = request.getfixturevalue("s3_server") if kind == "s3" else None
    return backend(kind, tmp_path / "blobs", s3)
