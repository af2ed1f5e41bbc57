"""The training task's own rules, run in-process against the real Redis."""

from __future__ import annotations

import numpy as np
import pytest
import redis

from engine import MLPParams
from mlpforge.settings import Settings
from store import Store
from worker.training import MAX_ATTEMPTS, run_job


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(redis_url=redis_url)


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _job(store: Store, **params: object) -> str:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    dataset = store.datasets.create(
        X=X, y=y, name=None, feature_names=["a", "b", "c"], target_name=None,
        target_kind="categorical", classes=[0, 1],
    )
    resolved = MLPParams(**params).resolve("classification", 60)  # type: ignore[arg-type]
    job = store.jobs.new_record(
        dataset_id=dataset.id, task="classification", params=resolved.to_dict(),
        max_runtime_secs=60,
    )
    return store.jobs.create(job).id


def test_a_finished_job_is_not_run_again(store: Store, settings: Settings) -> None:
    job_id = _job(store, hidden_layer_sizes=(4,), max_iter=3)
    run_job(store.tenant, job_id, settings)
    done = store.jobs.get(job_id)
    assert done is not None and done.status == "succeeded"
    run_job(store.tenant, job_id, settings)  # a redelivered message
    again = store.jobs.get(job_id)
    assert again == done
    assert len(store.jobs.history(job_id)) == 3


def test_a_job_that_killed_its_worker_three_times_fails(store: Store, settings: Settings) -> None:
    job_id = _job(store, hidden_layer_sizes=(4,), max_iter=3)
    for _ in range(MAX_ATTEMPTS):  # three attempts whose workers died (their leases expired)
        store.jobs.start(job_id, lease_secs=15)
        store.client.delete(store.keys.job_lease(job_id))
    run_job(store.tenant, job_id, settings)
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "failed"
    assert job.error is not None and "died 3 times" in job.error.message


def test_a_divergent_fit_fails_with_the_engines_message(store: Store, settings: Settings) -> None:
    job_id = _job(
        store, hidden_layer_sizes=(8,), max_iter=50, solver="sgd", learning_rate_init=1e6,
        momentum=0.0, standardize=False,
    )
    run_job(store.tenant, job_id, settings)
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "failed", job
    assert job.error is not None and job.error.type == "DivergenceError"
    assert "learning_rate_init" in job.error.message


def test_a_deleted_dataset_fails_the_job_clearly(store: Store, settings: Settings) -> None:
    job_id = _job(store, hidden_layer_sizes=(4,), max_iter=3)
    job = store.jobs.get(job_id)
    assert job is not None
    store.datasets.delete(job.dataset_id)
    run_job(store.tenant, job_id, settings)
    failed = store.jobs.get(job_id)
    assert failed is not None and failed.status == "failed"
    assert failed.error is not None and "deleted" in failed.error.message


def test_a_finished_job_keeps_history_and_events_for_the_retention(
    redis_client: redis.Redis, tenant: str, redis_url: str
) -> None:
    store = Store(redis_client, tenant)
    job_id = _job(store, hidden_layer_sizes=(4,), max_iter=3)
    run_job(tenant, job_id, Settings(redis_url=redis_url, job_retention_secs=600))
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "succeeded"
    for key in (store.keys.job_history(job_id), store.keys.job_events(job_id)):
        assert 0 < store.client.ttl(key) <= 600
    assert store.client.ttl(store.keys.job(job_id)) == -1
