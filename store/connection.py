"""Redis connections with short timeouts: an outage must surface as an error, not a hang."""

from __future__ import annotations

from functools import lru_cache

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


@lru_cache(maxsize=8)
def connect(url: str, timeout_secs: float = 1.5) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_secs,
        socket_connect_timeout=timeout_secs,
        health_check_interval=30,
        # One quick retry covers a stale pooled connection after Redis restarts.
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[redis.ConnectionError],
    )


def blocking_client(url: str, block_secs: float) -> redis.Redis:
    """A client whose read timeout outlasts a blocking XREAD of ``block_secs``."""
    return redis.Redis.from_url(url, socket_timeout=block_secs + 2.0, socket_connect_timeout=1.5)
