"""Redis connections with short timeouts: an outage must surface as an error, not a hang."""

from __future__ import annotations

import asyncio
from functools import lru_cache

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
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


class AsyncConnection:
    """An asyncio client with `connect`'s timeouts, one per event loop.

    The API's per-request checks await it instead of handing a blocking call to a thread.
    A client's connections belong to the loop that opened them, so a new loop (a test client
    without a lifespan, say) gets a new client.
    """

    def __init__(self, url: str, timeout_secs: float = 1.5) -> None:
        self._url = url
        self._timeout = timeout_secs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: aioredis.Redis | None = None

    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._loop = loop
            self._client = aioredis.Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                health_check_interval=30,
                retry=AsyncRetry(NoBackoff(), 1),
                retry_on_error=[redis.ConnectionError],
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._loop = None


def streaming_client(url: str, block_secs: float) -> aioredis.Redis:
    """An asyncio client whose read timeout outlasts a blocking XREAD of ``block_secs``."""
    return aioredis.Redis.from_url(url, socket_timeout=block_secs + 5.0, socket_connect_timeout=1.5)
