"""Worker heartbeats: how the API counts live workers without a broadcast round trip."""

from __future__ import annotations

import redis

from store.keys import worker_heartbeat, worker_heartbeat_pattern


def beat(client: redis.Redis, hostname: str, ttl_secs: int) -> None:
    client.set(worker_heartbeat(hostname), b"1", ex=ttl_secs)


def forget(client: redis.Redis, hostname: str) -> None:
    client.delete(worker_heartbeat(hostname))


def count_live(client: redis.Redis) -> int:
    return sum(1 for _ in client.scan_iter(match=worker_heartbeat_pattern(), count=100))
