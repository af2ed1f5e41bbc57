"""The per-process event hub over the real Redis: followers that join at any moment, fall
behind, or resume from an id past the end still get every event once, in order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis

import store.event_hub
from store.connection import AsyncConnection
from store.event_hub import EventHub, Follower
from store.keys import TenantKeys

Scenario = Callable[[EventHub, aioredis.Redis], Awaitable[None]]


def _run(redis_url: str, scenario: Scenario) -> None:
    async def main() -> None:
        connection = AsyncConnection(redis_url)
        hub = EventHub(connection, redis_url, timeout_secs=1.0)
        try:
            await scenario(hub, connection.client())
            assert hub.watched == 0, "a closed follower left its stream watched"
        finally:
            await hub.aclose()
            await connection.aclose()

    asyncio.run(main())


async def _write(client: aioredis.Redis, key: str, epoch: int) -> None:
    await client.xadd(key, {"type": "progress", "data": b"{}"}, id=f"{epoch}-0")


async def _take(follower: Follower, count: int, timeout: float = 10.0) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        event = await follower.next(timeout=timeout)
        assert event is not None, f"no event after {ids[-3:]} within {timeout} s"
        ids.append(event.id)
    return ids


def test_followers_joining_while_events_are_written_get_each_once(
    redis_url: str, tenant: str
) -> None:
    keys = [TenantKeys(tenant).job_events(f"job_{n}") for n in range(3)]
    total = 120
    rng = random.Random(7)

    async def scenario(hub: EventHub, client: aioredis.Redis) -> None:
        async def writer() -> None:
            for epoch in range(1, total + 1):
                for key in keys:
                    await _write(client, key, epoch)
                await asyncio.sleep(rng.choice([0, 0, 0.001, 0.01]))

        async def follower(key: str, after: int, delay: float) -> None:
            await asyncio.sleep(delay)
            with hub.follow(key, f"{after}-0") as feed:
                ids = await _take(feed, total - after)
                assert ids == [f"{k}-0" for k in range(after + 1, total + 1)]
                assert await feed.next(timeout=0.2) is None  # and nothing twice

        followers = [
            follower(rng.choice(keys), rng.randrange(0, 40), rng.uniform(0, 1.0)) for _ in range(30)
        ]
        await asyncio.gather(writer(), *followers)

    _run(redis_url, scenario)


def test_a_follower_that_falls_behind_catches_up_from_redis(
    redis_url: str, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.event_hub, "QUEUE_EVENTS", 4)
    key = TenantKeys(tenant).job_events("job_slow")

    async def scenario(hub: EventHub, client: aioredis.Redis) -> None:
        with hub.follow(key, "0-0") as slow, hub.follow(key, "0-0") as quick:
            assert await slow.next(timeout=0.1) is None  # both now live, nothing yet
            assert await quick.next(timeout=0.1) is None
            for epoch in range(1, 51):
                await _write(client, key, epoch)
            # The quick one reads as events come; the slow one's queue overflows meanwhile.
            assert await _take(quick, 50) == [f"{k}-0" for k in range(1, 51)]
            assert await _take(slow, 50) == [f"{k}-0" for k in range(1, 51)]
            assert await slow.next(timeout=0.2) is None

    _run(redis_url, scenario)


def test_a_follower_resuming_past_the_end_does_not_hide_events_from_others(
    redis_url: str, tenant: str
) -> None:
    """A Last-Event-ID from the future must not move the shared reader past the stream's end."""
    key = TenantKeys(tenant).job_events("job_future")

    async def scenario(hub: EventHub, client: aioredis.Redis) -> None:
        await _write(client, key, 1)
        with hub.follow(key, "999-0") as ahead:
            assert await ahead.next(timeout=0.2) is None  # subscribed, first, at "999-0"
            with hub.follow(key, "0-0") as behind:
                assert await _take(behind, 1) == ["1-0"]
                for epoch in (2, 3, 4):
                    await _write(client, key, epoch)
                assert await _take(behind, 3, timeout=5) == ["2-0", "3-0", "4-0"]

    _run(redis_url, scenario)


def test_a_stream_watched_while_the_reader_blocks_gets_its_events_at_once(
    redis_url: str, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared reader blocks on the streams it already watches; a follower of a new stream
    wakes it (CLIENT UNBLOCK), so its first live event does not wait for the block to end. The
    block is a minute here: without the wake the follower would see nothing for that long."""
    monkeypatch.setattr(store.event_hub, "READ_BLOCK_MS", 60_000)
    first, second = (TenantKeys(tenant).job_events(f"job_{n}") for n in ("a", "b"))

    async def scenario(hub: EventHub, client: aioredis.Redis) -> None:
        with hub.follow(first, "0-0") as watching:
            assert await watching.next(timeout=0.2) is None  # live: the reader now blocks
            await asyncio.sleep(0.2)
            with hub.follow(second, "0-0") as newcomer:
                assert await newcomer.next(timeout=0.2) is None  # subscribed, nothing yet
                await _write(client, second, 1)
                assert await _take(newcomer, 1, timeout=10) == ["1-0"]
            await _write(client, first, 1)
            assert await _take(watching, 1, timeout=10) == ["1-0"]

    _run(redis_url, scenario)
