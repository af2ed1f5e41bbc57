"""A token bucket per tenant, kept in Redis so every API process shares it.

Each API process takes tokens a few at a time (about `RESERVE_SECS` of the tenant's rate, at
most `MAX_RESERVE`) and spends them locally, so a busy tenant costs Redis one call per batch
rather than one per request. Tokens not spent within `RESERVE_SECS` are dropped: the shared
limit can only be undershot, never exceeded. At a rate of a few requests per second every
request still asks Redis (the batch is one token).
"""

from __future__ import annotations

import hashlib
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
_BUCKET_SHA = hashlib.sha1(_BUCKET_LUA.encode()).hexdigest()


async def take_tokens(
    client: aioredis.Redis, tenant: str, *, rate: float, burst: int, want: int = 1
) -> tuple[int, float]:
    """Up to ``want`` tokens from the tenant's bucket: (granted, seconds to wait if none)."""
    keys_and_args = (rate_bucket(tenant), rate, burst, want)
    try:
        granted, wait = await client.evalsha(_BUCKET_SHA, 1, *keys_and_args)  # type: ignore[misc]
    except redis.exceptions.NoScriptError:  # a restarted Redis has forgotten the script
        granted, wait = await client.eval(_BUCKET_LUA, 1, *keys_and_args)  # type: ignore[misc]
    except redis.exceptions.OutOfMemoryError:
        # A full Redis refuses the bucket's write; reads and deletes (which free memory) must
        # still get through, so the limit is not enforced until Redis has room again.
        return want, 0.0
    return int(granted), float(wait)


class RateLimiter:
    """This process's door to the shared buckets; used from the event loop only."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._batch = max(1, min(MAX_RESERVE, burst, math.floor(rate * RESERVE_SECS)))
        self._reserved: dict[str, tuple[int, float]] = {}  # tenant → (tokens, use before)

    async def acquire(self, connection: AsyncConnection, tenant: str) -> float:
        """0.0 when the request may go ahead, else the seconds to wait before retrying."""
        now = time.monotonic()
        tokens, deadline = self._reserved.get(tenant, (0, now))
        if tokens > 0 and now < deadline:
            self._reserved[tenant] = (tokens - 1, deadline)
            return 0.0
        granted, wait = await take_tokens(
            connection.client(), tenant, rate=self.rate, burst=self.burst, want=self._batch
        )
        if granted == 0:
            self._reserved.pop(tenant, None)
            return wait
        self._reserved[tenant] = (granted - 1, time.monotonic() + RESERVE_SECS)
        return 0.0
