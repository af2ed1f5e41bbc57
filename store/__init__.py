"""The only code that speaks Redis. Both the API and the worker use it."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from store.blobs import ExternalBlobs
from store.datasets import Datasets
from store.idempotency import Idempotency, IdempotencyConflict
from store.jobs import Jobs, LeaseHeld, StaleWorker, TooManyActiveJobs, TransitionRefused
from store.keys import TenantKeys
from store.models import Models
from store.records import (
    FINISHED,
    DatasetRecord,
    JobError,
    JobRecord,
    JobStatus,
    ModelRecord,
    Page,
)
from store.searches import Searches


@dataclass(frozen=True)
class Store:
    """Everything one tenant can see, bound to one Redis client.

    ``job_retention_secs``: how long a finished job's history and events are kept (0: for
    ever); whoever finishes jobs (a worker, a cancel) passes the setting. ``blobs``: the
    process's blob store (MLPFORGE_BLOB_URL), None when Redis holds the blobs.
    """

    client: redis.Redis
    tenant: str
    job_retention_secs: int = 0
    # Where datasets' arrays, models' weights and checkpoints go (store.blobs); None: Redis.
    blobs: ExternalBlobs | None = None

    @property
    def keys(self) -> TenantKeys:
        return TenantKeys(self.tenant)

    @property
    def datasets(self) -> Datasets:
        return Datasets(self.client, self.keys, self.blobs)

    @property
    def jobs(self) -> Jobs:
        return Jobs(self.client, self.keys, self.job_retention_secs, self.blobs)

    @property
    def models(self) -> Models:
        return Models(self.client, self.keys, self.blobs)

    @property
    def searches(self) -> Searches:
        return Searches(self.client, self.keys, self.job_retention_secs)

    @property
    def idempotency(self) -> Idempotency:
        return Idempotency(self.client, self.keys)


__all__ = [
    "FINISHED",
    "DatasetRecord",
    "IdempotencyConflict",
    "JobError",
    "JobRecord",
    "JobStatus",
    "LeaseHeld",
    "ModelRecord",
    "Page",
    "StaleWorker",
    "Store",
    "TooManyActiveJobs",
    "TransitionRefused",
]
