"""FastAPI dependencies: settings, the caller's store, the task queue, stored resources."""

from __future__ import annotations

import math
from typing import Annotated

import redis
import redis.asyncio as aioredis
from celery import Celery
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from mlpforge.settings import Settings
from service.auth import api_key_scheme, bearer_scheme, presented_key, tenant_for
from service.errors import ApiError, not_found
from service.model_cache import ModelCache
from store import DatasetRecord, JobRecord, ModelRecord, Store
from store.connection import AsyncConnection
from store.rate_limit import RateLimiter


# Accessors are `async def` although they never await: FastAPI runs a plain `def` dependency in
# a worker thread, and each such hop costs a request up to a GIL switch interval under load.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_redis(request: Request) -> redis.Redis:
    client: redis.Redis = request.app.state.redis
    return client


def get_async_redis(request: Request) -> aioredis.Redis:
    connection: AsyncConnection = request.app.state.async_redis
    return connection.client()


async def admit(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None,
    api_key: str | None,
) -> str:
    """The caller's tenant, once its key is valid (401) and its rate allows (429)."""
    tenant = tenant_for(presented_key(bearer, api_key), request.app.state.api_keys)
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        wait = await limiter.acquire(request.app.state.async_redis, tenant)
        if wait > 0:
            raise ApiError(
                429,
                f"rate limit of {limiter.rate:g} requests/s exceeded; retry in {wait:.2f} s",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
    return tenant


async def get_store(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Store:
    # Async, as every /v1 request runs it: a blocking Redis call would first wait for a thread.
    tenant = await admit(request, bearer, api_key)
    client: redis.Redis = request.app.state.redis
    return Store(client, tenant)


async def get_queue(request: Request) -> Celery:
    queue: Celery = request.app.state.queue
    return queue


async def get_model_cache(request: Request) -> ModelCache:
    cache: ModelCache = request.app.state.model_cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
StoreDep = Annotated[Store, Depends(get_store)]
QueueDep = Annotated[Celery, Depends(get_queue)]
ModelCacheDep = Annotated[ModelCache, Depends(get_model_cache)]


async def single_valued_query(request: Request, store: StoreDep) -> None:
    """Refuse a repeated query parameter: each is a single value, and silently taking one of
    several (as FastAPI would) hides the caller's bug. ``store``: the key is checked first."""
    refuse_repeated_query(request)


def refuse_repeated_query(request: Request) -> None:
    if not request.scope.get("query_string"):
        return
    seen: set[str] = set()
    for name in (name for name, _ in request.query_params.multi_items()):
        if name in seen:
            raise ApiError(
                422,
                f"query.{name}: given more than once; send it once",
                errors=[{"loc": ["query", name], "msg": "given more than once"}],
            )
        seen.add(name)


def get_dataset_or_404(dataset_id: str, store: StoreDep) -> DatasetRecord:
    record = store.datasets.get(dataset_id)
    if record is None:
        raise not_found("dataset", dataset_id)
    return record


def get_job_or_404(job_id: str, store: StoreDep) -> JobRecord:
    record = store.jobs.get(job_id)
    if record is None:
        raise not_found("job", job_id)
    return record


def get_model_or_404(model_id: str, store: StoreDep) -> ModelRecord:
    record = store.models.get(model_id)
    if record is None:
        raise not_found("model", model_id)
    return record


DatasetDep = Annotated[DatasetRecord, Depends(get_dataset_or_404)]
JobDep = Annotated[JobRecord, Depends(get_job_or_404)]
ModelDep = Annotated[ModelRecord, Depends(get_model_or_404)]
