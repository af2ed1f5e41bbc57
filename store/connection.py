"""Redis connections with short timeouts and bounded pools.

An outage must surface as an error, not a hang; a burst of requests must wait its turn for a
connection rather than open one per request (Redis's `maxclients` is shared by every process)
or fail at once. Both pools are redis-py's `BlockingConnectionPool`: at most
``max_connections`` per process, a caller waits up to ``pool_timeout_secs`` for a free one and
then gets `PoolExhausted` — "this process is busy", which the API answers differently from
"Redis is unavailable".
"""

from __future__ import annotations

import asyncio
import queue
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_POOL_TIMEOUT_SECS = 2.0


class PoolExhausted(redis.ConnectionError):
    """Every connection of this process's pool stayed busy for the whole pool timeout.

    A `redis.ConnectionError`, so code that copes with a lost connection copes with this too;
    its own type, so that the API can say "busy, retry" instead of "Redis is down".
    """


# redis-py signals a pool timeout with a plain ConnectionError("No connection available.");
# what tells it apart from a refused connect is the exception it replaces: `queue.Empty` in
# the sync pool, a TimeoutError in the asyncio one (a connect failure is raised on its own).
class _BoundedPool(redis.BlockingConnectionPool):
    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().get_connection(*args, **kwargs)
        except redis.ConnectionError as error:
            if isinstance(error.__context__, queue.Empty):
                raise PoolExhausted(_busy(self)) from error
            raise


class _AsyncBoundedPool(aioredis.BlockingConnectionPool):
    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_connection(*args, **kwargs)
        except redis.ConnectionError as error:
            if isinstance(error.__cause__, TimeoutError):  # asyncio's, since 3.11
                raise PoolExhausted(_busy(self)) from error
            raise


def _busy(pool: redis.BlockingConnectionPool | aioredis.BlockingConnectionPool) -> str:
    return f"all {pool.max_connections} Redis connections of this process stayed busy"


def _connection_options(timeout_secs: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout_secs,
        "socket_connect_timeout": timeout_secs,
        "health_check_interval": 30,
        "retry_on_error": [redis.ConnectionError],
    }


@lru_cache(maxsize=8)
def connect(
    url: str,
    timeout_secs: float = 1.5,
    *,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    pool_timeout_secs: float = DEFAULT_POOL_TIMEOUT_SECS,
) -> redis.Redis:
    """The process's blocking client (sync routes run in threads, the worker in its loop)."""
    pool = _BoundedPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout_secs,
        # One quick retry covers a stale pooled connection after Redis restarts.
        retry=Retry(NoBackoff(), 1),
        **_connection_options(timeout_secs),
    )
    return redis.Redis.from_pool(pool)


class AsyncConnection:
    """An asyncio client with `connect`'s timeouts and a bounded pool, one per event loop.

    The API's per-request checks await it instead of handing a blocking call to a thread.
    A client's connections belong to the loop that opened them, so a new loop (a test client
    without a lifespan, say) gets a new client.
    """

    def __init__(
        self,
        url: str,
        timeout_secs: float = 1.5,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        pool_timeout_secs: float = DEFAULT_POOL_TIMEOUT_SECS,
    ) -> None:
        self._url = url
        self._timeout = timeout_secs
        self._max_connections = max_connections
        self._pool_timeout = pool_timeout_secs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: aioredis.Redis | None = None

    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._loop = loop
            pool = _AsyncBoundedPool.from_url(
                self._url,
                max_connections=self._max_connections,
                timeout=self._pool_timeout,
                retry=AsyncRetry(NoBackoff(), 1),
                **_connection_options(self._timeout),
            )
            self._client = aioredis.Redis.from_pool(pool)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._loop = None


def streaming_client(url: str, block_secs: float, connect_timeout_secs: float) -> aioredis.Redis:
    """One dedicated connection for a blocking XREAD of up to ``block_secs``.

    Its read timeout outlasts the block. No retry: the caller notices a lost connection and
    reads again from where it was, rather than redis-py repeating a blocking read unseen.
    """
    return aioredis.Redis.from_url(
        url,
        single_connection_client=True,
        socket_timeout=block_secs + 5.0,
        socket_connect_timeout=connect_timeout_secs,
        retry=AsyncRetry(NoBackoff(), 0),
    )
