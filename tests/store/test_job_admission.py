"""The active-jobs limit is checked and the job written in one step, on the real Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import redis

from store import Store, TooManyActiveJobs


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _admit(store: Store, limit: int) -> bool:
    job = store.jobs.new_record(
        dataset_id="ds_x", task="classification", params={}, max_runtime_secs=60
    )
    try:
        store.jobs.create(job, max_active=limit)
    except TooManyActiveJobs:
        return False
    return True


def test_the_limit_refuses_a_job_and_writes_nothing(store: Store) -> None:
    assert [_admit(store, 2) for _ in range(3)] == [True, True, False]
    assert store.jobs.active_count() == 2
    assert len(store.jobs.page(limit=10, cursor=None).data) == 2


def test_a_finished_job_frees_its_place(store: Store) -> None:
    assert _admit(store, 1)
    first = store.jobs.page(limit=1, cursor=None).data[0]
    assert not _admit(store, 1)
    store.jobs.request_cancel(first.id)
    assert _admit(store, 1)


def test_concurrent_submissions_never_overshoot_the_limit(store: Store) -> None:
    gate = Barrier(30)

    def submit(_: int) -> bool:
        gate.wait()
        return _admit(store, 3)

    with ThreadPoolExecutor(30) as pool:
        admitted = list(pool.map(submit, range(30)))
    assert sum(admitted) == 3
    assert store.jobs.active_count() == 3
