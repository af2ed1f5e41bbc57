"""FastAPI dependencies: settings, the caller's store, the task queue, stored resources."""

from __future__ import annotations

import math
from typing import Annotated

import redis
from celery import Celery
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from mlpforge.settings import Settings
from service.auth import api_key_scheme, bearer_scheme, presented_key, tenant_for
from service.errors import ApiError, not_found
from service.model_cache import ModelCache
from store import DatasetRecord, JobRecord, ModelRecord, Store
from store.rate_limit import take_token


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_redis(request: Request) -> redis.Redis:
    client: redis.Redis = request.app.state.redis
    return client


def get_store(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Store:
    tenant = tenant_for(presented_key(bearer, api_key), request.app.state.api_keys)
    settings: Settings = request.app.state.settings
    client: redis.Redis = request.app.state.redis
    if settings.rate_limit_per_second > 0:
        wait = take_token(
            client, tenant, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
        )
        if wait > 0:
            raise ApiError(
                429,
                f"rate limit of {settings.rate_limit_per_second:g} requests/s exceeded; "
                f"retry in {wait:.2f} s",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
    return Store(client, tenant)


def get_queue(request: Request) -> Celery:
    queue: Celery = request.app.state.queue
    return queue


def get_model_cache(request: Request) -> ModelCache:
    cache: ModelCache = request.app.state.model_cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
StoreDep = Annotated[Store, Depends(get_store)]
QueueDep = Annotated[Celery, Depends(get_queue)]
ModelCacheDep = Annotated[ModelCache, Depends(get_model_cache)]


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
