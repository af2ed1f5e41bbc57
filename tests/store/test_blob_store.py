"""Datasets, models and checkpoints on each blob store: Redis, a folder, and S3 (a real
S3-compatible server). Records stay in Redis; blobs are written before the record that makes
them visible and removed after the record that hid them."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import redis
import redis.asyncio as aioredis

from mlpforge.redis_server import RedisServer
from store import Store
from store.blobs import BlobStoreError, object_path, parse_blob_url
from store.models import AsyncModels
from store.orphans import sweep
from store.records import ModelRecord
from tests.blob_servers import BlobBackend


def _store(client: redis.Redis, tenant: str, backend: BlobBackend) -> Store:
    return Store(client, tenant, blobs=backend.open())


def _dataset(store: Store, rows: int = 50) -> tuple[str, np.ndarray]:
    X = np.arange(rows * 4, dtype=np.uint8).reshape(rows, 4)
    record = store.datasets.create(
        X=X,
        y=np.arange(rows) % 2,
        name="pixels",
        feature_names=["a", "b", "c", "d"],
        target_name=None,
        target_kind="categorical",
        classes=[0, 1],
        w=np.ones(rows),
    )
    return record.id, X


def _model(store: Store, blob: bytes = b"weights" * 1000) -> ModelRecord:
    record = ModelRecord(
        id="mdl_" + "a" * 24,
        job_id="job_" + "b" * 24,
        dataset_id="ds_" + "c" * 24,
        task="classification",
        n_features=4,
        hidden_layer_sizes=[3],
        activation="relu",
        n_parameters=10,
        dataset_sha256="0" * 64,
        created_at="2026-01-01T00:00:00Z",
    )
    return store.models.create(record, blob)


def test_a_dataset_round_trips_in_its_own_dtype(
    redis_client: redis.Redis, tenant: str, blob_backend: BlobBackend
) -> None:
    store = _store(redis_client, tenant, blob_backend)
    dataset_id, X = _dataset(store)
    record = store.datasets.get(dataset_id)
    assert record is not None
    assert (record.blob_store, record.dtype) == (blob_backend.kind, "uint8")
    arrays = store.datasets.arrays(dataset_id)
    assert arrays is not None and arrays.w is not None
    assert arrays.X.dtype == np.uint8 and np.array_equal(arrays.X, X)
    assert not arrays.X.flags.writeable
    keys = store.keys
    in_redis = redis_client.exists(keys.dataset_x(dataset_id), keys.dataset_w(dataset_id))
    # Redis holds the arrays only when it is the blob store; otherwise just the record.
    assert in_redis == (2 if blob_backend.kind == "redis" else 0)
    external = store.blobs
    if external is not None:
        assert external.get(keys.dataset_x(dataset_id)) is not None

    assert store.datasets.delete(dataset_id)
    assert store.datasets.get(dataset_id) is None and store.datasets.arrays(dataset_id) is None
    assert redis_client.exists(keys.dataset_x(dataset_id)) == 0
    if external is not None:
        assert external.get(keys.dataset_x(dataset_id)) is None
        assert external.list(f"{keys.prefix}:dataset:{dataset_id}") == []


def test_a_model_round_trips_and_is_deleted_record_first(
    redis_client: redis.Redis, redis_url: str, tenant: str, blob_backend: BlobBackend
) -> None:
    store = _store(redis_client, tenant, blob_backend)
    blob = bytes(range(256)) * 100
    record = _model(store, blob)
    assert record.blob_store == blob_backend.kind
    assert store.models.blob(record.id) == blob

    async def read_async() -> bytes | None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            return await AsyncModels(client, store.keys, store.blobs).blob(record.id)
        finally:
            await client.aclose()

    assert asyncio.run(read_async()) == blob
    assert store.models.delete(record.id)
    assert store.models.blob(record.id) is None
    if store.blobs is not None:
        assert store.blobs.get(store.keys.model_blob(record.id)) is None


def test_checkpoints_are_fenced_and_never_leak(
    redis_client: redis.Redis, tenant: str, blob_backend: BlobBackend
) -> None:
    from tests.worker.helpers import stored_job

    store = _store(redis_client, tenant, blob_backend)
    job_id = stored_job(store)
    started = store.jobs.start(job_id, lease_secs=30)
    attempt = started.attempts
    entry = {"epoch": 1, "loss": 1.0, "seconds": 0.1}
    store.jobs.record_epoch(job_id, attempt=attempt, entry=entry, progress=0.1, checkpoint=b"first")
    assert store.jobs.checkpoint(job_id) == b"first"
    store.jobs.save_checkpoint(job_id, attempt=attempt, checkpoint=b"second")
    assert store.jobs.checkpoint(job_id) == b"second"
    prefix = f"{store.keys.prefix}:job:{job_id}:checkpoints"
    if store.blobs is not None:  # the first blob was removed once the second was current
        assert len(store.blobs.list(prefix)) == 1

    # A stale attempt's checkpoint is refused, and its blob does not stay behind.
    from store import StaleWorker

    with pytest.raises(StaleWorker):
        store.jobs.save_checkpoint(job_id, attempt=attempt - 1, checkpoint=b"stale")
    assert store.jobs.checkpoint(job_id) == b"second"
    if store.blobs is not None:
        assert len(store.blobs.list(prefix)) == 1

    store.jobs.finish(job_id, status="succeeded", attempt=attempt)
    assert store.jobs.checkpoint(job_id) is None
    if store.blobs is not None:
        assert store.blobs.list(prefix) == []


def test_a_refused_record_leaves_no_blobs(
    tenant: str, external_blob_backend: BlobBackend
) -> None:
    """A full Redis (maxmemory, noeviction) refuses the record's transaction: the blobs
    written before it are removed, so nothing is left that no record refers to. (In Redis
    the arrays are in the record's own transaction: tests/e2e/test_redis_outage.py.)"""
    blob_backend = external_blob_backend
    full = ("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
    with RedisServer(extra=full) as server:
        client = redis.Redis.from_url(server.url)
        filler = b"x" * 50_000
        for i in range(200):  # fill Redis past its limit: the next write is refused
            try:
                client.set(f"fill:{i}", filler)
            except redis.exceptions.OutOfMemoryError:
                break
        else:
            pytest.fail("Redis never refused a write")
        store = _store(client, tenant, blob_backend)
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            _dataset(store, rows=20)
        assert store.blobs is not None
        assert store.blobs.list(f"{store.keys.prefix}:dataset") == []
        client.close()


def test_records_say_where_their_blobs_are(
    redis_client: redis.Redis, tenant: str, blob_backend: BlobBackend
) -> None:
    """Datasets stored in Redis stay readable after MLPFORGE_BLOB_URL changes; a process
    configured for another store says so instead of reading nothing."""
    in_redis = Store(redis_client, tenant)
    dataset_id, X = _dataset(in_redis)
    elsewhere = _store(redis_client, tenant, blob_backend)
    arrays = elsewhere.datasets.arrays(dataset_id)
    assert arrays is not None and np.array_equal(arrays.X, X)
    if blob_backend.kind != "redis":
        moved_id, _ = _dataset(elsewhere)
        with pytest.raises(BlobStoreError, match="MLPFORGE_BLOB_URL"):
            in_redis.datasets.arrays(moved_id)


def test_blob_urls_are_checked() -> None:
    assert parse_blob_url("redis") == ("redis", "", "")
    assert parse_blob_url("file:///srv/blobs/") == ("file", "/srv/blobs", "")
    assert parse_blob_url("s3://bucket/a/b/") == ("s3", "bucket", "a/b")
    for bad in ("file://relative", "s3:///nobucket", "ftp://x", "/srv/blobs"):
        with pytest.raises(ValueError):
            parse_blob_url(bad)
    # A tenant named "." or ".." stays one path segment.
    assert object_path("mlpforge:t:..:model:x") == "mlpforge/t/%2E%2E/model/x"


def test_orphans_are_swept_and_live_blobs_kept(
    redis_client: redis.Redis, tenant: str, external_blob_backend: BlobBackend
) -> None:
    """A crash between a blob and its record leaves an orphan; the sweep finds it (and only
    once it is older than an upload takes), never a blob a record still refers to. (With
    Redis as the store, blobs are written in their records' transactions: no orphans.)"""
    blob_backend = external_blob_backend
    store = _store(redis_client, tenant, blob_backend)
    blobs = store.blobs
    assert blobs is not None
    live_id, _ = _dataset(store)
    keys = store.keys
    orphans = [
        keys.dataset_x("ds_" + "d" * 24),  # an upload whose record was never written
        keys.model_blob("mdl_" + "e" * 24),  # a model deleted before its blob
        keys.job_checkpoint_blob("job_" + "f" * 24, 1, "abc"),  # a checkpoint never current
    ]
    for name in orphans:
        blobs.put(name, [b"orphan"])
    young = sweep(redis_client, blobs, older_than_secs=3600, dry_run=True)
    assert young.removed == []  # too young: they may belong to an upload in progress
    found = sweep(redis_client, blobs, older_than_secs=0)
    assert sorted(n for n in found.removed if n.startswith(keys.prefix)) == sorted(orphans)
    assert all(blobs.get(name) is None for name in orphans)
    assert store.datasets.arrays(live_id) is not None
