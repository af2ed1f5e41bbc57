"""A token bucket per tenant, kept in Redis so every API process shares it.

Each API process takes tokens a few at a time (about `RESERVE_SECS` of the tenant's rate, at
most `MAX_RESERVE`) and spends them locally, so a busy tenant costs Redis one call per batch
rather than one per request. Tokens not spent within `RESERVE_SECS` are dropped: the shared
limit can only be undershot, never exceeded. At a rate of a few requests per second every
request still asks Redis (the batch is one token).
"""

from __future__ import annotations

import asyncio
import math
import time

import redis
import redis.asyncio as aioredis

from store.connection import AsyncConnection
from store.keys import rate_bucket

RESERVE_SECS = 0.05
MAX_RESERVE = 256

# Redis's own clock (TIME) keeps API hosts with skewed clocks from disagreeing.
# ARGV: rate, burst, tokens wanted. Returns {tokens granted, seconds to wait for one}.
_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local granted = math.min(want, math.floor(tokens))
local wait = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {granted, tostring(wait)}
"""


async def take_tokens(
    client: aioredis.Redis, tenant: str, *, rate: float, burst: int, want: int = 1
) -> tuple[int, float]:
    """Up to ``want`` tokens from the tenant's bucket: (granted, seconds to wait if none)."""
    # register_script runs EVALSHA and falls back to EVAL when Redis has forgotten the script.
    script = client.register_script(_BUCKET_LUA)
    try:
        granted, wait = await script(keys=[rate_bucket(tenant)], args=[rate, burst, want])
    except redis.exceptions.OutOfMemoryError:
        # A full Redis refuses the bucket's write; reads and deletes (which free memory) must
        # still get through, so the limit is not enforced until Redis has room again.
        return want, 0.0
    return int(granted), float(wait)


class RateLimiter:
    """This process's door to the shared buckets; used from one event loop at a time.

    Concurrent requests of one tenant that find no local token wait for one refill instead of
    each taking a batch: 60 concurrent first requests used to take 60 batches from a fresh
    bucket of 200 and overwrite each other's leftovers, so that 20 of them were refused. A
    refill asks for a token for every request waiting for it, and those tokens are theirs
    (`_owed`) however long the event loop takes to get to them; only the surplus of a batch
    expires unspent after `RESERVE_SECS`.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._batch = max(1, min(MAX_RESERVE, burst, math.floor(rate * RESERVE_SECS)))
        self._reserved: dict[str, tuple[int, float]] = {}  # tenant → (tokens, use before)
        self._owed: dict[str, int] = {}  # tenant → tokens taken for requests now waiting
        self._waiting: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _take_local(self, tenant: str) -> bool:
        if self._owed.get(tenant, 0) > 0:
            self._owed[tenant] -= 1
            return True
        tokens, deadline = self._reserved.get(tenant, (0, 0.0))
        if tokens > 0 and time.monotonic() < deadline:
            self._reserved[tenant] = (tokens - 1, deadline)
            return True
        return False

    def _lock(self, tenant: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # locks belong to a loop (a test client brings its own)
            self._loop, self._locks = loop, {}
        return self._locks.setdefault(tenant, asyncio.Lock())

    async def acquire(self, connection: AsyncConnection, tenant: str) -> float:
        """0.0 when the request may go ahead, else the seconds to wait before retrying."""
        if self._take_local(tenant):
            return 0.0
        self._waiting[tenant] = self._waiting.get(tenant, 0) + 1
        try:
            async with self._lock(tenant):
                if self._take_local(tenant):  # the refill of a request ahead of us
                    return 0.0
                waiting = self._waiting[tenant]
                want = min(MAX_RESERVE, max(self._batch, waiting))
                granted, wait = await take_tokens(
                    connection.client(), tenant, rate=self.rate, burst=self.burst, want=want
                )
                if granted == 0:
                    self._reserved.pop(tenant, None)
                    return wait
                owed = min(granted - 1, waiting - 1)
                self._owed[tenant] = self._owed.get(tenant, 0) + owed
                surplus = granted - 1 - owed
                self._reserved[tenant] = (surplus, time.monotonic() + RESERVE_SECS)
                return 0.0
        finally:
            self._waiting[tenant] -= 1
