"""Store calls that outlast a Redis outage: an epoch's report is held, not lost."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import redis

# How long a worker waits for Redis to come back before giving the job up to redelivery.
REDIS_PATIENCE_SECS = 120.0

T = TypeVar("T")


def patiently(call: Callable[[], T]) -> T:
    """Retry a store call through a Redis outage, so an epoch's report is not lost."""
    deadline = time.monotonic() + REDIS_PATIENCE_SECS
    while True:
        try:
            return call()
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
