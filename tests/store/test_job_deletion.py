"""Deleting a finished job, and the retention of finished jobs' history and events."""

from __future__ import annotations

import pytest
import redis

from store import Store, TransitionRefused, queued
from store.keys import job_member, running_jobs


def _job(store: Store) -> str:
    job = store.jobs.new_record(
        dataset_id="ds_x", task="classification", params={}, max_runtime_secs=60
    )
    return store.jobs.create(job).id


def _entry(epoch: int) -> dict[str, float | int | None]:
    return {"epoch": epoch, "loss": 1.0, "val_loss": None, "val_score": None,
            "learning_rate": 0.001, "seconds": 0.01}


def _trained(store: Store, epochs: int = 2) -> str:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    for epoch in range(1, epochs + 1):
        store.jobs.record_epoch(
            job_id, attempt=1, entry=_entry(epoch), progress=epoch / epochs, checkpoint=b"c"
        )
    store.jobs.finish(job_id, status="succeeded", attempt=1, model_id="mdl_x")
    return job_id


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _job_keys(store: Store, job_id: str) -> list[str]:
    k = store.keys
    return [k.job(job_id), k.job_history(job_id), k.job_events(job_id),
            k.job_checkpoint(job_id), k.job_cancel(job_id), k.job_lease(job_id)]


def test_deleting_a_finished_job_leaves_nothing_of_it(store: Store) -> None:
    job_id = _trained(store)
    assert store.client.exists(store.keys.job_history(job_id), store.keys.job_events(job_id)) == 2
    assert store.jobs.delete(job_id)
    assert store.client.exists(*_job_keys(store, job_id)) == 0
    assert store.jobs.get(job_id) is None
    assert job_id not in [job.id for job in store.jobs.page(limit=100, cursor=None).data]
    member = job_member(store.tenant, job_id)
    assert not store.client.sismember(running_jobs(), member)
    assert queued.waiting_since(store.client, store.tenant, job_id) is None
    assert not store.client.sismember(store.keys.active_jobs(), job_id)
    assert not store.jobs.delete(job_id)  # a second delete finds nothing


def test_a_queued_or_running_job_is_not_deleted(store: Store) -> None:
    queued_id, running_id = _job(store), _job(store)
    store.jobs.start(running_id, lease_secs=15)
    for job_id, status in ((queued_id, "queued"), (running_id, "running")):
        with pytest.raises(TransitionRefused) as refused:
            store.jobs.delete(job_id)
        assert refused.value.job.status == status
        assert store.jobs.get(job_id) is not None


def test_another_tenants_job_is_not_deleted(redis_client: redis.Redis, store: Store) -> None:
    job_id = _trained(store)
    assert not Store(redis_client, store.tenant + "-other").jobs.delete(job_id)
    assert store.jobs.get(job_id) is not None


def test_finishing_a_job_sets_the_retention_of_its_history_and_events(
    redis_client: redis.Redis, tenant: str
) -> None:
    store = Store(redis_client, tenant, job_retention_secs=3600)
    job_id = _trained(store)
    for key in (store.keys.job_history(job_id), store.keys.job_events(job_id)):
        assert 0 < store.client.ttl(key) <= 3600
    assert store.client.ttl(store.keys.job(job_id)) == -1  # the record stays until deleted
    cancelled = _job(store)
    store.jobs.request_cancel(cancelled)  # a queued job: cancelled by the API at once
    assert 0 < store.client.ttl(store.keys.job_events(cancelled)) <= 3600


def test_a_retention_of_zero_keeps_history_and_events(store: Store) -> None:
    job_id = _trained(store)
    for key in (store.keys.job_history(job_id), store.keys.job_events(job_id)):
        assert store.client.ttl(key) == -1
