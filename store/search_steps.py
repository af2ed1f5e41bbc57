"""Which searches are due, and who steps one now: the due set and the step lease that every
process that may step a search uses (mlpforge.search.controller)."""

from __future__ import annotations

from typing import cast

import redis

from store.keys import due_searches, job_member, search_step_lease, split_job_member

# Give the step lease back only while it is still ours.
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def due(client: redis.Redis, *, now: float, limit: int = 100) -> list[tuple[str, str]]:
    """(tenant, search id) of the searches due by ``now`` (Redis server time), oldest first."""
    raws = client.zrangebyscore(due_searches(), "-inf", now, start=0, num=limit)
    return [split_job_member(cast(bytes, raw)) for raw in raws]  # members only, no scores


def schedule(client: redis.Redis, tenant: str, search_id: str, at: float) -> None:
    """Step the search again at ``at`` unless it has finished (XX)."""
    client.zadd(due_searches(), {job_member(tenant, search_id): at}, xx=True)


def due_at(client: redis.Redis, tenant: str, search_id: str) -> float | None:
    score = client.zscore(due_searches(), job_member(tenant, search_id))
    return None if score is None else float(score)


def claim(client: redis.Redis, tenant: str, search_id: str, token: str, secs: float) -> bool:
    """The lease of the one process stepping this search now."""
    key = search_step_lease(tenant, search_id)
    return bool(client.set(key, token, nx=True, px=max(1, int(secs * 1000))))


def release(client: redis.Redis, tenant: str, search_id: str, token: str) -> None:
    client.register_script(_RELEASE_LUA)(keys=[search_step_lease(tenant, search_id)], args=[token])


def forget(client: redis.Redis, tenant: str, search_id: str) -> None:
    """Drop a search that no longer exists from the due set."""
    client.zrem(due_searches(), job_member(tenant, search_id))
