"""The shared token bucket: processes take tokens in batches, and never exceed the limit."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from store.connection import AsyncConnection
from store.keys import rate_bucket
from store.rate_limit import MAX_RESERVE, RateLimiter


def _admitted(redis_url: str, limiters: list[RateLimiter], tenant: str, requests: int) -> int:
    async def run() -> int:
        connection = AsyncConnection(redis_url)
        try:
            waits = [
                await limiters[i % len(limiters)].acquire(connection, tenant)
                for i in range(requests)
            ]
        finally:
            await connection.aclose()
        return sum(1 for wait in waits if wait == 0)

    return asyncio.run(run())


def test_two_processes_share_one_bucket(redis_url: str, tenant: str) -> None:
    # A slow rate: each process takes one token at a time, exactly as without batches.
    processes = [RateLimiter(rate=1, burst=5), RateLimiter(rate=1, burst=5)]
    assert _admitted(redis_url, processes, tenant, 12) == 5


def test_a_busy_tenant_takes_tokens_in_batches(redis_url: str, tenant: str) -> None:
    limiter = RateLimiter(rate=100_000, burst=10_000)  # batches of MAX_RESERVE
    assert _admitted(redis_url, [limiter], tenant, 10) == 10
    client = aioredis.Redis.from_url(redis_url)

    async def tokens_left() -> float:
        try:
            return float(await client.hget(rate_bucket(tenant), "tokens") or 0)
        finally:
            await client.aclose()

    # A batch (two, on a machine slow enough to let the first expire) for the ten requests.
    assert 10_000 - 2 * MAX_RESERVE <= asyncio.run(tokens_left()) < 10_000 - 10
