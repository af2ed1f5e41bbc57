"""A worker keeps the last dataset it trained on, and never trains on a deleted one."""

from __future__ import annotations

import numpy as np
import pytest
import redis

from store import Store
from worker.dataset_cache import DatasetCache


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _dataset(store: Store, seed: int) -> str:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    return store.datasets.create(
        X=X, y=y, name=None, feature_names=["a", "b", "c"], target_name=None,
        target_kind="categorical", classes=[0, 1],
    ).id


def test_the_same_dataset_is_read_once_and_stays_read_only(store: Store) -> None:
    cache = DatasetCache()
    first = _dataset(store, 0)
    arrays = cache.arrays(store, first)
    assert arrays is not None
    X, y, w = arrays
    assert w is None  # no sample weights: nothing more was read
    assert X.shape == (20, 3) and X.dtype == np.float32 and y.shape == (20,)
    assert not X.flags.writeable  # a view of the stored bytes, shared by every job
    assert cache.arrays(store, first) is arrays
    other = cache.arrays(store, _dataset(store, 1))
    assert other is not None and not np.array_equal(other[0], X)


def test_a_deleted_dataset_is_gone_for_the_cache_too(store: Store) -> None:
    cache = DatasetCache()
    dataset_id = _dataset(store, 0)
    assert cache.arrays(store, dataset_id) is not None
    store.datasets.delete(dataset_id)
    assert cache.arrays(store, dataset_id) is None


def test_another_tenants_dataset_is_not_served_from_the_cache(
    redis_client: redis.Redis, store: Store
) -> None:
    cache = DatasetCache()
    dataset_id = _dataset(store, 0)
    assert cache.arrays(store, dataset_id) is not None
    assert cache.arrays(Store(redis_client, store.tenant + "x"), dataset_id) is None


def test_a_large_dataset_is_read_in_slices(store: Store) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 200)).astype(np.float32)  # 2.4 MB: three slices
    y = rng.integers(0, 3, size=3000)
    dataset_id = store.datasets.create(
        X=X, y=y, name=None, feature_names=[f"f{i}" for i in range(200)], target_name=None,
        target_kind="categorical", classes=[0, 1, 2],
    ).id
    arrays = store.datasets.arrays(dataset_id)
    assert arrays is not None
    assert np.array_equal(arrays[0], X) and np.array_equal(arrays[1], y)
    assert not arrays[0].flags.writeable and not arrays[1].flags.writeable
