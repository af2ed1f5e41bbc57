"""The fleet's numbers for /metrics, as workers and job transitions write them to Redis."""

from __future__ import annotations

import asyncio

import redis
import redis.asyncio as aioredis

from mlpforge.redis_server import RedisServer
from store import Store
from store.fleet_metrics import FleetSnapshot, report_job_duration, report_training, snapshot
from store.keys import broker_queues, training_rates
from store.workers import LiveWorker, beat


def read(server: RedisServer) -> FleetSnapshot:
    async def go() -> FleetSnapshot:
        client = aioredis.Redis.from_url(server.url)
        try:
            return await snapshot(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_final_statuses_are_counted_with_the_transition(isolated_redis: RedisServer) -> None:
    client = redis.Redis.from_url(isolated_redis.url)
    store = Store(client, "t1")
    for _ in range(2):
        job = store.jobs.new_record(
            dataset_id="ds_x", task="classification", params={}, max_runtime_secs=60
        )
        store.jobs.create(job)
        assert read(isolated_redis).queued == 1
        store.jobs.finish(job.id, status="cancelled", attempt=None)
    fleet = read(isolated_redis)
    assert fleet.finished == {"cancelled": 2} and fleet.queued == 0 and fleet.running == 0


def test_training_totals_rates_and_durations(isolated_redis: RedisServer) -> None:
    client = redis.Redis.from_url(isolated_redis.url)
    report_training(client, worker="a:1", device="cpu", samples=1000, seconds=0.5, epochs=2)
    report_training(client, worker="b:2", device="cpu", samples=300, seconds=1.0, epochs=1)
    report_training(client, worker="c:3", device="gpu", samples=50, seconds=0.0, epochs=1)
    client.hset(training_rates(), "gone:4", b'{"device": "cpu", "rate": 9e9, "at": 1}')
    client.hset(training_rates(), "junk:5", b"not json")
    for seconds in (0.5, 3.0, 3.5, 10**6):
        report_job_duration(client, status="succeeded", seconds=seconds)
    fleet = read(isolated_redis)
    assert fleet.training["samples"] == {"cpu": 1300.0, "gpu": 50.0}
    assert fleet.training["epochs"] == {"cpu": 3.0, "gpu": 1.0}
    assert fleet.rates == {"cpu": 2000.0 + 300.0, "gpu": 0.0}  # stale and broken ones ignored
    durations = fleet.durations["succeeded"]
    assert durations.count == 4 and durations.sum == 0.5 + 3.0 + 3.5 + 10**6
    assert dict(durations.buckets)["1.0"] == 1 and dict(durations.buckets)["5.0"] == 3
    assert dict(durations.buckets)["86400.0"] == 3 and durations.buckets[-1] == ("+Inf", 4)
    # the next writer drops reports older than RATE_FORGET_SECS
    report_training(client, worker="a:1", device="cpu", samples=1, seconds=1, epochs=1)
    assert set(client.hkeys(training_rates())) == {b"a:1", b"b:2", b"c:3"}


def test_queue_depths_and_workers(isolated_redis: RedisServer) -> None:
    client = redis.Redis.from_url(isolated_redis.url)
    beat(client, LiveWorker("w1@h", ("cpu",)))
    beat(client, LiveWorker("w2@h", ("cpu", "special")))
    cpu, cpu_priority = broker_queues("cpu")[:2]
    client.lpush(cpu, b"m1", b"m2")
    client.lpush(cpu_priority, b"m3")
    client.lpush(broker_queues("special")[0], b"m4")
    fleet = read(isolated_redis)
    assert fleet.workers == {"cpu": 2, "gpu": 0, "special": 1}
    assert fleet.queue_depth == {"cpu": 3, "gpu": 0, "special": 1}
