"""Worker heartbeats: one sorted set, scored by Redis time, pruned as workers go silent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio as aioredis

from mlpforge.redis_server import RedisServer
from store import workers
from store.keys import worker_heartbeats
from store.workers import HEARTBEAT_TTL_SECS, LiveWorker


@pytest.fixture
def client(isolated_redis: RedisServer) -> Iterator[redis.Redis]:
    # Its own Redis: the session's real workers beat into the shared one.
    with redis.Redis.from_url(isolated_redis.url) as client:
        yield client


def test_live_workers_are_counted_per_queue(client: redis.Redis) -> None:
    workers.beat(client, LiveWorker("a@host", ("cpu",)))
    workers.beat(client, LiveWorker("b@host", ("gpu", "cpu")))
    live = workers.live(client)
    assert {w.hostname for w in live} == {"a@host", "b@host"}
    assert workers.per_queue(live) == {"cpu": 2, "gpu": 1}
    assert workers.serving(client, "gpu") == 1
    assert client.zcard(worker_heartbeats()) == 2  # a beat again replaces, never adds
    workers.beat(client, LiveWorker("a@host", ("cpu",)))
    assert client.zcard(worker_heartbeats()) == 2


def test_no_worker_means_zero_for_the_known_queues(client: redis.Redis) -> None:
    assert workers.per_queue(workers.live(client)) == {"cpu": 0, "gpu": 0}


def test_a_silent_worker_is_not_live_and_is_pruned_by_the_next_beat(client: redis.Redis) -> None:
    seconds, _ = client.time()
    silent = LiveWorker("gone@host", ("gpu",))
    client.zadd(worker_heartbeats(), {silent.member(): seconds - HEARTBEAT_TTL_SECS - 1})
    assert workers.live(client) == []
    workers.beat(client, LiveWorker("a@host", ("cpu",)))
    assert client.zscore(worker_heartbeats(), silent.member()) is None


def test_a_stopped_worker_is_forgotten_at_once(client: redis.Redis) -> None:
    me = LiveWorker("a@host", ("cpu",))
    workers.beat(client, me)
    workers.forget(client, me)
    assert workers.live(client) == []


def test_the_async_reader_sees_the_same(client: redis.Redis, isolated_redis: RedisServer) -> None:
    workers.beat(client, LiveWorker("a@host", ("cpu", "gpu")))

    async def read() -> list[LiveWorker]:
        async with aioredis.Redis.from_url(isolated_redis.url) as aclient:
            return await workers.live_async(aclient)

    assert asyncio.run(read()) == [LiveWorker("a@host", ("cpu", "gpu"))]
