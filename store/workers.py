"""Worker heartbeats: who is alive and which queues it consumes, in one sorted set.

Member: a worker's hostname and its queues (JSON); score: when it last beat, in Redis server
time (taken inside a script), so that the clocks of the hosts never matter. A beat also prunes
the members that stopped beating, so the set holds about one entry per live worker and
`/readyz` reads it with one command instead of scanning the keyspace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
import redis
import redis.asyncio as aioredis

from store.keys import worker_heartbeats

# A worker beats every few seconds (worker.celery_app); four missed beats and it counts as dead.
HEARTBEAT_TTL_SECS = 12.0
# What /readyz always names, with 0 when nothing consumes it.
KNOWN_QUEUES = ("cpu", "gpu")

_NOW = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
"""

# Beat and prune in one round trip.
_BEAT_LUA = (
    _NOW
    + """
redis.call('ZADD', KEYS[1], t, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - tonumber(ARGV[2]))
return 1
"""
)

# Read-only: the members that beat within the TTL.
_LIVE_LUA = (
    _NOW
    + """
return redis.call('ZRANGEBYSCORE', KEYS[1], t - tonumber(ARGV[1]), '+inf')
"""
)


@dataclass(frozen=True)
class LiveWorker:
    hostname: str
    queues: tuple[str, ...]

    def member(self) -> bytes:
        return orjson.dumps({"hostname": self.hostname, "queues": sorted(self.queues)})

    @classmethod
    def parse(cls, raw: bytes | str) -> LiveWorker | None:
        try:
            fields = orjson.loads(raw)
            return cls(str(fields["hostname"]), tuple(str(q) for q in fields["queues"]))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None  # not ours (an older heartbeat format): ignore it until it is pruned


def beat(client: redis.Redis, worker: LiveWorker) -> None:
    client.register_script(_BEAT_LUA)(
        keys=[worker_heartbeats()], args=[worker.member(), HEARTBEAT_TTL_SECS]
    )


def forget(client: redis.Redis, worker: LiveWorker) -> None:
    client.zrem(worker_heartbeats(), worker.member())


def _parsed(raws: Iterable[bytes | str]) -> list[LiveWorker]:
    return [worker for worker in map(LiveWorker.parse, raws) if worker is not None]


def live(client: redis.Redis) -> list[LiveWorker]:
    raws = client.register_script(_LIVE_LUA)(keys=[worker_heartbeats()], args=[HEARTBEAT_TTL_SECS])
    return _parsed(raws)


async def live_async(client: aioredis.Redis) -> list[LiveWorker]:
    script = client.register_script(_LIVE_LUA)
    raws = await script(keys=[worker_heartbeats()], args=[HEARTBEAT_TTL_SECS])
    return _parsed(raws)


def per_queue(workers: Iterable[LiveWorker]) -> dict[str, int]:
    """Live workers consuming each queue (the known queues always present)."""
    counts = Counter(queue for worker in workers for queue in set(worker.queues))
    return {**dict.fromkeys(KNOWN_QUEUES, 0), **counts}


def serving(client: redis.Redis, queue: str) -> int:
    """How many live workers consume ``queue``."""
    return per_queue(live(client)).get(queue, 0)
