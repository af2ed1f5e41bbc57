"""FastAPI dependencies: settings, the caller's store, the task queue, stored resources."""

from __future__ import annotations

from typing import Annotated

import redis
import redis.asyncio as aioredis
from celery import Celery
from fastapi import Depends, Request

from mlpforge.settings import Settings
from service.access import tenant_of
from service.errors import not_found
from service.model_cache import ModelCache
from store import DatasetRecord, JobRecord, ModelRecord, Store
from store.connection import AsyncConnection
from store.ids import well_formed


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


async def get_store(request: Request) -> Store:
    # Async, as every /v1 request runs it: a plain `def` would first wait for a thread.
    client: redis.Redis = request.app.state.redis
    settings: Settings = request.app.state.settings
    return Store(
        client,
        tenant_of(request),
        job_retention_secs=settings.job_retention_secs,
        blobs=request.app.state.blobs,
    )


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


def get_dataset_or_404(dataset_id: str, store: StoreDep) -> DatasetRecord:
    record = store.datasets.get(dataset_id) if well_formed("ds", dataset_id) else None
    if record is None:
        raise not_found("dataset", dataset_id)
    return record


def get_job_or_404(job_id: str, store: StoreDep) -> JobRecord:
    record = store.jobs.get(job_id) if well_formed("job", job_id) else None
    if record is None:
        raise not_found("job", job_id)
    return record


def get_model_or_404(model_id: str, store: StoreDep) -> ModelRecord:
    record = store.models.get(model_id) if well_formed("mdl", model_id) else None
    if record is None:
        raise not_found("model", model_id)
    return record


DatasetDep = Annotated[DatasetRecord, Depends(get_dataset_or_404)]
JobDep = Annotated[JobRecord, Depends(get_job_or_404)]
ModelDep = Annotated[ModelRecord, Depends(get_model_or_404)]
