"""Bounded Redis pools over real HTTP: a busy process says "busy", and one tenant's burst is
queued for connections instead of failing another tenant's requests."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from mlpforge.redis_server import RedisServer
from tests.e2e.helpers import assert_problem
from tests.e2e.streams import Frame, PlayedJob, assert_events, parse_line
from tests.processes import Process, start_api

KEYS = {tenant: f"key-{tenant}-{secrets.token_hex(6)}" for tenant in ("alpha", "beta")}
CAP = 20  # MLPFORGE_MAX_STREAMS_PER_TENANT's default


def auth(tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[tenant]}"}


def start_small_api(redis_url: str, name: str, **extra: str) -> tuple[Process, str]:
    env: dict[str, Any] = {
        "MLPFORGE_API_KEYS": ",".join(f"{tenant}:{key}" for tenant, key in KEYS.items()),
        "MLPFORGE_REDIS_MAX_CONNECTIONS": "4",
        **extra,
    }
    return start_api(redis_url, name=name, **env)


@pytest.fixture
def slow_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis the test can stall for a moment (DEBUG SLEEP), as a slow command would."""
    with RedisServer(data_dir=tmp_path, extra=("--enable-debug-command", "yes")) as server:
        yield server


def _stall(client: redis.Redis, secs: float) -> threading.Thread:
    thread = threading.Thread(target=client.execute_command, args=("DEBUG", "SLEEP", secs))
    thread.start()
    time.sleep(0.1)  # let it take hold of the server
    return thread


def _burst(base: str, paths: list[str], tenant: str) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            return await asyncio.gather(*(client.get(p, headers=auth(tenant)) for p in paths))

    return asyncio.run(main())


def test_an_exhausted_pool_is_a_busy_503_not_a_redis_outage(slow_redis: RedisServer) -> None:
    client = redis.Redis.from_url(slow_redis.url)
    # No rate limit: its one shared call per batch would make the burst wait for it instead.
    proc, base = start_small_api(
        slow_redis.url,
        "pool-api",
        MLPFORGE_REDIS_POOL_TIMEOUT_SECS="0.2",
        MLPFORGE_RATE_LIMIT_PER_SECOND="0",
    )
    try:
        running, finished = PlayedJob(client, "alpha"), PlayedJob(client, "alpha")
        finished.finish()
        # The sync routes' pool (a job's record) and the asyncio one (a stream's admission).
        for path in (f"/v1/jobs/{running.id}", f"/v1/jobs/{finished.id}/events"):
            assert httpx.get(f"{base}{path}", headers=auth("alpha")).status_code == 200
            stall = _stall(client, 0.7)  # under the socket timeout: Redis is slow, not down
            answers = _burst(base, [path] * 24, "alpha")
            stall.join()
            assert {answer.status_code for answer in answers} == {200, 503}, path
            for answer in answers:
                if answer.status_code == 503:
                    body = assert_problem(answer, 503, "busy")
                    assert body["title"] == "Server Busy" and "unavailable" not in body["detail"]
                    assert int(answer.headers["retry-after"]) >= 1
            assert httpx.get(f"{base}{path}", headers=auth("alpha")).status_code == 200
    finally:
        proc.stop()


def test_a_burst_from_one_tenant_leaves_another_unharmed(tmp_path: Path) -> None:
    """130 streams at once from one tenant used to take 130 Redis connections: past Redis's
    `maxclients`, that tenant's streams died and other tenants' requests failed."""
    with RedisServer(data_dir=tmp_path, extra=("--maxclients", "40")) as server:
        client = redis.Redis.from_url(server.url)
        proc, base = start_small_api(server.url, "burst-api")
        try:
            _burst_and_check(base, client)
        finally:
            proc.stop()


def _burst_and_check(base: str, client: redis.Redis) -> None:
    theirs, mine = PlayedJob(client, "alpha"), PlayedJob(client, "beta")
    mine.epoch()
    ordinary = [f"/v1/jobs/{mine.id}", "/v1/jobs", f"/v1/jobs/{mine.id}/metrics"]

    async def stream(http: httpx.AsyncClient) -> tuple[int, list[Frame]]:
        frames: list[Frame] = []
        current = Frame()
        async with http.stream(
            "GET", f"/v1/jobs/{theirs.id}/events", headers=auth("alpha")
        ) as response:
            if response.status_code != 200:
                await response.aread()
                assert_problem(response, 429, "open event streams")
                return response.status_code, frames
            async for line in response.aiter_lines():
                current = parse_line(line, current, frames)
        return 200, frames

    async def main() -> None:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
            burst = [asyncio.create_task(stream(http)) for _ in range(130)]
            # Beta's ordinary requests, in the middle of alpha's burst.
            answers = await asyncio.gather(
                *(http.get(ordinary[n % 3], headers=auth("beta")) for n in range(40))
            )
            assert [answer.status_code for answer in answers] == [200] * 40, [
                answer.text for answer in answers if answer.status_code != 200
            ][:3]
            await asyncio.sleep(1.0)
            theirs.epoch()
            theirs.finish()
            results = await asyncio.wait_for(asyncio.gather(*burst), timeout=60)
            assert sorted(status for status, _ in results).count(200) == CAP
            assert {status for status, _ in results} == {200, 429}
            for status, frames in results:
                if status == 200:
                    assert_events(frames, 1, 1, "succeeded")

    asyncio.run(main())
