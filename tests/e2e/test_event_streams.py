"""Event streams at scale over real HTTP: one uvicorn process, its own Redis, many tenants.

The worker's part is played through the store (`PlayedJob`), so each test decides when every
epoch lands while hundreds of real connections are open.
"""

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
from store.streams import SLOT_TTL_SECS
from tests.e2e.helpers import assert_problem
from tests.e2e.latency_proxy import LatencyProxy
from tests.e2e.streams import Frame, PlayedJob, assert_events, events, parse_line, read_stream
from tests.processes import Process, start_api, wait_until

TENANTS = [f"tenant{n:02d}" for n in range(15)]
KEYS = {tenant: f"key-{tenant}-{secrets.token_hex(6)}" for tenant in TENANTS}
CAP = 20  # MLPFORGE_MAX_STREAMS_PER_TENANT's default
POOL = 8  # MLPFORGE_REDIS_MAX_CONNECTIONS of the API under test
# Besides its two pools and the event reader, an API process may hold a few connections of
# the Celery producer; the test itself holds one.
OTHER_CLIENTS = 6


def start_streams_api(redis_url: str, name: str, **extra: str) -> tuple[Process, str]:
    env: dict[str, Any] = {
        "MLPFORGE_API_KEYS": ",".join(f"{tenant}:{key}" for tenant, key in KEYS.items()),
        "MLPFORGE_RATE_LIMIT_PER_SECOND": "0",
        "MLPFORGE_REDIS_MAX_CONNECTIONS": str(POOL),
        **extra,
    }
    return start_api(redis_url, name=name, **env)


def auth(tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[tenant]}"}


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    # Its own server: its client count is this module's alone, and no worker's reaper looks
    # at the jobs these tests play. `maxclients` well below one connection per stream.
    with RedisServer(
        data_dir=tmp_path_factory.mktemp("streams-redis"), extra=("--maxclients", "100")
    ) as server:
        yield server


@pytest.fixture(scope="module")
def redis_client(private_redis: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(private_redis.url)


@pytest.fixture(scope="module")
def api(private_redis: RedisServer) -> Iterator[str]:
    proc, base = start_streams_api(private_redis.url, "streams-api")
    yield base
    proc.stop()


def connected_clients(client: redis.Redis) -> int:
    return int(client.info("clients")["connected_clients"])


def test_streams_opened_at_any_moment_get_every_event_once(
    api: str, redis_client: redis.Redis
) -> None:
    job = PlayedJob(redis_client, TENANTS[0])
    results: dict[int, list[Frame]] = {}

    def follow(index: int, last_id: str | None) -> None:
        headers = auth(TENANTS[0]) | ({"Last-Event-ID": last_id} if last_id else {})
        with httpx.stream(
            "GET", f"{api}/v1/jobs/{job.id}/events", headers=headers, timeout=60
        ) as response:
            assert response.status_code == 200, response.read()
            results[index] = read_stream(response)

    # Three streams open before the first epoch, five more while epochs are being written:
    # index → (epoch at which it opens, Last-Event-ID, the first epoch it must get).
    plan: dict[int, tuple[int, str | None, int]] = {
        0: (0, None, 1),
        1: (0, "0-0", 1),
        2: (0, "2-0", 3),
        3: (5, None, 1),
        4: (10, "3-0", 4),
        5: (10, "9-0", 10),
        6: (20, "15-0", 16),
        7: (25, None, 1),
    }
    threads: list[threading.Thread] = []

    def open_streams(at_epoch: int) -> None:
        for index, (epoch, last_id, _) in plan.items():
            if epoch == at_epoch:
                threads.append(threading.Thread(target=follow, args=(index, last_id)))
                threads[-1].start()

    open_streams(0)
    time.sleep(0.5)
    for epoch in range(1, 31):
        job.epoch()
        open_streams(epoch)
        time.sleep(0.02)
    job.finish()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == sorted(plan)
    for index, frames in results.items():
        assert frames[0].retry == 2000
        assert_events(frames, plan[index][2], 30, "succeeded")


def test_hundreds_of_open_streams_share_a_few_redis_connections(
    api: str, redis_client: redis.Redis
) -> None:
    """300 streams used to be 300 Redis clients; past `maxclients` they answered 200, then died."""
    jobs = {tenant: PlayedJob(redis_client, tenant) for tenant in TENANTS}
    opened = 0
    all_open = asyncio.Event()
    peak = 0

    async def follow(client: httpx.AsyncClient, tenant: str) -> list[Frame]:
        nonlocal opened
        frames: list[Frame] = []
        current = Frame()
        counted = False
        async with client.stream(
            "GET", f"/v1/jobs/{jobs[tenant].id}/events", headers=auth(tenant)
        ) as response:
            assert response.status_code == 200, await response.aread()
            async for line in response.aiter_lines():
                current = parse_line(line, current, frames)
                if frames and not counted:  # the first frame (the retry hint) came through
                    counted = True
                    opened += 1
                    if opened == len(TENANTS) * CAP:
                        all_open.set()
        return frames

    async def main() -> None:
        nonlocal peak
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(base_url=api, limits=limits, timeout=120) as client:
            streams = [
                asyncio.create_task(follow(client, tenant))
                for tenant in TENANTS
                for _ in range(CAP)
            ]
            await asyncio.wait_for(all_open.wait(), timeout=120)
            peak = connected_clients(redis_client)
            # One more per tenant is over the cap: refused before anything is streamed.
            for tenant in TENANTS[:3]:
                refused = await client.get(
                    f"/v1/jobs/{jobs[tenant].id}/events", headers=auth(tenant)
                )
                assert_problem(refused, 429, "MLPFORGE_MAX_STREAMS_PER_TENANT")
                assert int(refused.headers["retry-after"]) >= 1
            for job in jobs.values():
                for _ in range(3):
                    job.epoch()
                job.finish()
            results = await asyncio.wait_for(asyncio.gather(*streams), timeout=120)
            for frames in results:
                assert_events(frames, 1, 3, "succeeded")

    asyncio.run(main())
    # Two bounded pools and one event reader, whatever the number of streams.
    assert peak <= 2 * POOL + 1 + OTHER_CLIENTS, peak


def test_the_stream_cap_holds_across_api_processes(
    api: str, private_redis: RedisServer, redis_client: redis.Redis
) -> None:
    tenant, other = TENANTS[1], TENANTS[2]
    job, their_job = PlayedJob(redis_client, tenant), PlayedJob(redis_client, other)
    path = f"/v1/jobs/{job.id}/events"
    second, second_base = start_streams_api(private_redis.url, "streams-api-2")
    clients = [httpx.Client(base_url=base, timeout=30) for base in (api, second_base)]
    open_streams: list[httpx.Response] = []

    def attempt(client: httpx.Client, job_path: str, who: str) -> httpx.Response:
        """Open a stream; an admitted one stays open (until the test closes it)."""
        request = client.build_request("GET", job_path, headers=auth(who))
        response = client.send(request, stream=True)
        if response.status_code == 200:
            open_streams.append(response)
        else:
            response.read()
            response.close()
        return response

    try:
        for n in range(CAP):
            assert attempt(clients[n % 2], path, tenant).status_code == 200
        for client in clients:
            assert_problem(attempt(client, path, tenant), 429, "open event streams")
        # The cap is per tenant: another one is not affected.
        assert attempt(clients[1], f"/v1/jobs/{their_job.id}/events", other).status_code == 200
        # A client that goes away gives its slot back at once, not when the slot lapses.
        open_streams.pop(0).close()
        started = time.monotonic()
        wait_until(
            lambda: attempt(clients[1], path, tenant).status_code == 200,
            SLOT_TTL_SECS / 2,
            "the slot of a closed stream",
        )
        assert time.monotonic() - started < SLOT_TTL_SECS / 2
        assert_problem(attempt(clients[0], path, tenant), 429, "open event streams")
    finally:
        for response in open_streams:
            response.close()
        for client in clients:
            client.close()
        second.stop()


def test_a_stream_ends_after_max_stream_secs_and_resumes(
    private_redis: RedisServer, redis_client: redis.Redis
) -> None:
    """Keep-alive comments while the job runs; the stream ends at `max_stream_secs`, and the
    client's reconnection with Last-Event-ID goes on exactly where it stopped."""
    proc, base = start_streams_api(
        private_redis.url, "streams-api-short", MLPFORGE_MAX_STREAM_SECS="12"
    )
    try:
        tenant = TENANTS[3]
        job = PlayedJob(redis_client, tenant)
        job.epoch()
        started = time.monotonic()
        with httpx.stream(
            "GET", f"{base}/v1/jobs/{job.id}/events", headers=auth(tenant), timeout=60
        ) as response:
            first = read_stream(response, within_secs=30)
        assert time.monotonic() - started >= 11
        assert [frame.id for frame in events(first)] == ["1-0"]
        assert any("keep-alive" in frame.comments for frame in first)
        job.epoch()
        job.finish()
        headers = auth(tenant) | {"Last-Event-ID": "1-0"}
        with httpx.stream(
            "GET", f"{base}/v1/jobs/{job.id}/events", headers=headers, timeout=60
        ) as response:
            assert_events(read_stream(response), 2, 2, "succeeded")
    finally:
        proc.stop()


def test_health_answers_while_streams_wait_on_a_slow_redis(
    private_redis: RedisServer, redis_client: redis.Redis
) -> None:
    """Streams used to read the job with the blocking client on the event loop: with Redis
    slow to answer, every stream stalled the whole process, /healthz included."""
    with LatencyProxy(private_redis.port, delay_secs=1.2) as proxy:
        proc, base = start_streams_api(
            f"redis://127.0.0.1:{proxy.port}/0", "streams-api-slow", MLPFORGE_REDIS_TIMEOUT_SECS="5"
        )
        try:
            _check_health_during_streams(base, redis_client, proc)
        finally:
            proc.stop()


def _check_health_during_streams(base: str, redis_client: redis.Redis, proc: Process) -> None:
    tenant = TENANTS[4]
    job = PlayedJob(redis_client, tenant)
    stop = threading.Event()
    latencies: list[float] = []
    # Each follower's answer, checked below: an assert in a thread would only be a warning.
    answers: list[tuple[int, str]] = []

    def follow() -> None:
        with httpx.stream(
            "GET", f"{base}/v1/jobs/{job.id}/events", headers=auth(tenant), timeout=60
        ) as response:
            if response.status_code != 200:
                answers.append((response.status_code, response.read().decode()))
                return
            frames = read_stream(response)
            answers.append((200, frames[-1].event if frames else "no events"))

    def probe() -> None:
        while not stop.is_set():
            started = time.monotonic()
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    followers = [threading.Thread(target=follow) for _ in range(8)]
    for thread in followers:
        thread.start()
    time.sleep(8)
    job.finish()
    for thread in followers:
        thread.join(timeout=60)
    stop.set()
    prober.join()
    assert proc.alive()
    assert latencies and max(latencies) < 1.0, sorted(latencies)[-5:]
    # Every stream answered: to the end, or — a Redis this slow can run out a stream's Redis
    # timeout on a loaded machine — with a 503 problem that says so, never a hang or a 500.
    assert len(answers) == len(followers), answers
    for status, text in answers:
        assert (status, text) == (200, "status") or (
            status == 503 and "retry" in text.lower()
        ), (status, text)
    assert any(status == 200 for status, _ in answers), answers


def test_a_stream_outlives_a_redis_outage(tmp_path: Path) -> None:
    """A stream that has answered 200 keeps its client through an outage, then goes on."""
    with RedisServer(data_dir=tmp_path, persistent=True) as server:
        client = redis.Redis.from_url(server.url)
        proc, base = start_streams_api(server.url, "streams-api-outage")
        try:
            tenant = TENANTS[5]
            job = PlayedJob(client, tenant)
            job.epoch()
            frames: list[Frame] = []

            def follow() -> None:
                with httpx.stream(
                    "GET", f"{base}/v1/jobs/{job.id}/events", headers=auth(tenant), timeout=60
                ) as response:
                    assert response.status_code == 200
                    frames.extend(read_stream(response))

            follower = threading.Thread(target=follow)
            follower.start()
            time.sleep(1.0)
            server.stop()
            time.sleep(3.0)
            server.start()
            job.epoch()
            job.finish()
            follower.join(timeout=60)
            assert_events(frames, 1, 2, "succeeded")
        finally:
            proc.stop()
