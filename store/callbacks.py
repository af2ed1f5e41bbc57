"""The outbox of job callbacks: which jobs' callbacks are still to be delivered, and when.

One sorted set for every tenant (`keys.callback_outbox`): member = the job, score = when its
next attempt is due, in Redis server time (so that the clocks of the hosts never matter). A job
enters it in the very transaction that writes its final status (`JobTransitions.finish`): a
callback can be late, never lost. Each delivery process takes the next due job with `claim`,
one script, which also pushes its score `lease_secs` ahead: no other process takes the same job
meanwhile, and if the claimer dies, the job is due again once the lease has run out. The
outcome of an attempt and the next due time are written together (`JobTransitions.record_callback`).
"""

from __future__ import annotations

from typing import Any

import redis

from store.keys import JobRef, callback_outbox, job_member, split_job_member

# KEYS[1]: the outbox. ARGV[1]: lease in seconds. The first due member, hidden for the lease.
_CLAIM_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
if #due == 0 then
  return false
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), due[1])
return due[1]
"""


def claim(client: redis.Redis, *, lease_secs: float) -> JobRef | None:
    """(tenant, job_id) of the next callback due, now this caller's for ``lease_secs``."""
    script = client.register_script(_CLAIM_LUA)
    member = script(keys=[callback_outbox()], args=[lease_secs])
    return None if member is None else split_job_member(member)


def server_time(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return float(seconds) + micros / 1e6


def enqueue(pipe: Any, tenant: str, job_id: str) -> None:
    """Due at once (score 0 is always in the past)."""
    pipe.zadd(callback_outbox(), {job_member(tenant, job_id): 0})


def schedule(pipe: Any, tenant: str, job_id: str, at: float) -> None:
    pipe.zadd(callback_outbox(), {job_member(tenant, job_id): at})


def drop(pipe: Any, tenant: str, job_id: str) -> None:
    pipe.zrem(callback_outbox(), job_member(tenant, job_id))


def pending(client: redis.Redis) -> int:
    """Callbacks not yet delivered nor given up, of every tenant."""
    return int(client.zcard(callback_outbox()))
