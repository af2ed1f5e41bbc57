"""A token bucket per tenant, kept in Redis so every API process shares it."""

from __future__ import annotations

import redis

from store.keys import rate_bucket

# Redis's own clock (TIME) keeps API hosts with skewed clocks from disagreeing.
_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, tostring(wait)}
"""


def take_token(client: redis.Redis, tenant: str, *, rate: float, burst: int) -> float:
    """0.0 when the request may go ahead, else the seconds to wait before retrying."""
    script = client.register_script(_BUCKET_LUA)
    allowed, wait = script(keys=[rate_bucket(tenant)], args=[rate, burst])
    return 0.0 if int(allowed) else float(wait)
