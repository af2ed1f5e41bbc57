"""One scrape: this API's instruments (all its processes in multiprocess mode) and the
fleet's numbers from Redis, in Prometheus's text format."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

import redis
import redis.asyncio as aioredis
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from service.metrics.fleet import FleetCollector
from service.metrics.instruments import REDIS_ERRORS
from store.connection import PoolExhausted
from store.fleet_metrics import FleetSnapshot, snapshot

log = logging.getLogger(__name__)


class _ThisProcess(Collector):
    """The default registry's metrics (this process's), inside a per-scrape registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


async def fleet_snapshot(client: aioredis.Redis) -> FleetSnapshot | None:
    """The fleet's numbers, or None (counted as a Redis error) when Redis does not answer."""
    try:
        return await snapshot(client)
    except PoolExhausted:
        REDIS_ERRORS.labels("pool_exhausted").inc()
    except (redis.ConnectionError, redis.TimeoutError) as error:
        log.warning("/metrics: Redis unavailable: %s", error)
        REDIS_ERRORS.labels("unavailable").inc()
    return None


def exposition(fleet: FleetSnapshot | None, accept: str | None) -> tuple[bytes, str]:
    """The body and its media type: OpenMetrics when the scraper asks for it (Prometheus
    does), else the classic text format."""
    encoder: Callable[[CollectorRegistry], bytes]
    encoder, media_type = choose_encoder(accept or "")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # reads every process's files
    else:
        registry.register(_ThisProcess())
    registry.register(FleetCollector(fleet))
    return encoder(registry), media_type
