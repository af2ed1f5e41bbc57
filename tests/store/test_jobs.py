"""The job store's transitions, fencing and idempotent epoch records, on the real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from store import LeaseHeld, StaleWorker, Store, TransitionRefused, queued


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _job(store: Store) -> str:
    job = store.jobs.new_record(
        dataset_id="ds_x", task="classification", params={}, max_runtime_secs=60
    )
    return store.jobs.create(job).id


def _entry(epoch: int, loss: float = 1.0) -> dict[str, float | int | None]:
    return {
        "epoch": epoch,
        "loss": loss,
        "val_loss": None,
        "val_score": None,
        "learning_rate": 0.001,
        "seconds": 0.01,
    }


def _lease_expires(store: Store, job_id: str) -> None:
    store.client.delete(store.keys.job_lease(job_id))


def test_start_counts_attempts_and_keeps_first_start_time(store: Store) -> None:
    job_id = _job(store)
    first = store.jobs.start(job_id, lease_secs=15)
    _lease_expires(store, job_id)
    second = store.jobs.start(job_id, lease_secs=15)
    assert (first.status, first.attempts) == ("running", 1)
    assert second.attempts == 2
    assert second.started_at == first.started_at


def test_a_live_lease_keeps_a_duplicate_delivery_out(store: Store) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    with pytest.raises(LeaseHeld):
        store.jobs.start(job_id, lease_secs=15)
    assert store.jobs.renew_lease(job_id, attempt=1, lease_secs=15)
    assert not store.jobs.renew_lease(job_id, attempt=2, lease_secs=15)
    assert store.client.sismember("mlpforge:running", f"{store.tenant}/{job_id}")
    store.jobs.finish(job_id, status="succeeded", attempt=1)
    assert not store.client.sismember("mlpforge:running", f"{store.tenant}/{job_id}")
    assert not store.client.exists(store.keys.job_lease(job_id))
    assert store.jobs.active_count() == 0


def test_a_stale_attempt_cannot_write(store: Store) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    _lease_expires(store, job_id)
    store.jobs.start(job_id, lease_secs=15)  # another worker took over
    with pytest.raises(StaleWorker):
        store.jobs.record_epoch(job_id, attempt=1, entry=_entry(1), progress=0.1, checkpoint=b"c")
    with pytest.raises(StaleWorker):
        store.jobs.finish(job_id, status="succeeded", attempt=1)
    assert store.jobs.history(job_id) == []
    assert store.jobs.checkpoint(job_id) is None


def test_an_epoch_recorded_twice_appears_once(store: Store) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    for epoch in (1, 2, 2, 3):
        store.jobs.record_epoch(
            job_id, attempt=1, entry=_entry(epoch), progress=epoch / 10, checkpoint=b"x"
        )
    assert [e["epoch"] for e in store.jobs.history(job_id)] == [1, 2, 3]
    events = store.client.xrange(store.jobs.events_key(job_id))
    assert [raw_id.decode() for raw_id, _ in events] == ["1-0", "2-0", "3-0"]
    job = store.jobs.get(job_id)
    assert job is not None and job.epoch == 3 and job.metrics is not None


def test_a_resumed_run_does_not_move_the_job_back(store: Store) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    for epoch in (1, 2, 3):
        store.jobs.record_epoch(
            job_id, attempt=1, entry=_entry(epoch, loss=epoch), progress=epoch / 10,
            checkpoint=b"x" if epoch == 1 else None,
        )
    _lease_expires(store, job_id)
    store.jobs.start(job_id, lease_secs=15)  # resumed from epoch 1's checkpoint
    store.jobs.record_epoch(job_id, attempt=2, entry=_entry(2, loss=2), progress=0.2,
                            checkpoint=b"y")
    job = store.jobs.get(job_id)
    assert job is not None and (job.epoch, job.progress) == (3, 0.3)
    assert job.metrics is not None and job.metrics["loss"] == 3
    assert store.jobs.checkpoint(job_id) == b"y"
    assert [e["epoch"] for e in store.jobs.history(job_id)] == [1, 2, 3]


def test_finish_is_final_and_publishes_a_status_event(store: Store) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    store.jobs.record_epoch(job_id, attempt=1, entry=_entry(1), progress=0.5, checkpoint=b"c")
    job = store.jobs.finish(job_id, status="succeeded", attempt=1, model_id="mdl_1")
    assert (job.status, job.progress, job.model_id) == ("succeeded", 1.0, "mdl_1")
    assert store.jobs.checkpoint(job_id) is None
    with pytest.raises(TransitionRefused):
        store.jobs.finish(job_id, status="failed", attempt=1)
    last_id, fields = store.client.xrange(store.jobs.events_key(job_id))[-1]
    assert last_id == b"1-1" and fields[b"type"] == b"status"


def test_cancel_of_queued_job_is_immediate_and_of_running_job_is_a_flag(store: Store) -> None:
    queued = _job(store)
    assert store.jobs.request_cancel(queued).status == "cancelled"
    running = _job(store)
    store.jobs.start(running, lease_secs=15)
    assert store.jobs.request_cancel(running).status == "running"
    assert store.jobs.cancel_requested(running)
    with pytest.raises(TransitionRefused):
        store.jobs.request_cancel(queued)


def test_lists_are_newest_first_and_paginate_without_overlap(store: Store) -> None:
    ids = [_job(store) for _ in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        page = store.jobs.page(limit=3, cursor=cursor)
        seen += [job.id for job in page.data]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(ids))


def test_status_filter(store: Store) -> None:
    a, b = _job(store), _job(store)
    store.jobs.request_cancel(a)
    page = store.jobs.page(limit=10, cursor=None, status="cancelled")
    assert [job.id for job in page.data] == [a]
    assert b not in [job.id for job in page.data]


def test_tenants_do_not_see_each_other(redis_client: redis.Redis, store: Store) -> None:
    job_id = _job(store)
    other = Store(redis_client, store.tenant + "-other")
    assert other.jobs.get(job_id) is None
    assert other.jobs.page(limit=10, cursor=None).data == []


def test_a_mid_epoch_checkpoint_is_fenced(store: Store) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    store.jobs.save_checkpoint(job_id, attempt=1, checkpoint=b"mid")
    assert store.jobs.checkpoint(job_id) == b"mid"
    _lease_expires(store, job_id)
    store.jobs.start(job_id, lease_secs=15)
    with pytest.raises(StaleWorker):
        store.jobs.save_checkpoint(job_id, attempt=1, checkpoint=b"stale")
    assert store.jobs.checkpoint(job_id) == b"mid"


def _monitored(store: Store, action: Callable[[], object], until: bytes) -> list[dict[str, Any]]:
    """The commands Redis executes (MONITOR) while ``action`` runs, up to one containing
    ``until``."""
    seen: list[dict[str, Any]] = []
    ready = threading.Event()

    def watch() -> None:
        with store.client.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                seen.append(command)
                if until.decode() in command["command"]:
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ready.wait(5)
    time.sleep(0.1)  # MONITOR is registered once its first reply is read
    action()
    watcher.join(10)
    assert not watcher.is_alive(), "the command never ran"
    return seen


def test_the_final_event_is_written_in_the_transaction_of_the_final_status(store: Store) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, lease_secs=15)
    store.jobs.record_epoch(job_id, attempt=1, entry=_entry(1), progress=0.5, checkpoint=None)
    events = store.jobs.events_key(job_id)
    seen = _monitored(
        store,
        lambda: store.jobs.finish(job_id, status="succeeded", attempt=1),
        until=f"XADD {events} 1-1".encode(),
    )
    final = seen[-1]
    # The same connection's commands, in order (other clients' are interleaved in MONITOR).
    ours = [
        c["command"].split(" ", 2)
        for c in seen
        if (c.get("client_address"), c.get("client_port"))
        == (final.get("client_address"), final.get("client_port"))
    ]
    verbs = [parts[0] for parts in ours]
    multi = len(verbs) - 1 - verbs[::-1].index("MULTI")
    transaction = ours[multi:]
    assert "EXEC" not in verbs[multi:], f"the final XADD ran after the EXEC: {verbs}"
    assert ["SET", store.keys.job(job_id)] in [parts[:2] for parts in transaction]


def test_a_queued_job_is_tracked_until_a_worker_starts_it(store: Store) -> None:
    started, cancelled = _job(store), _job(store)
    for job_id in (started, cancelled):
        assert queued.waiting_since(store.client, store.tenant, job_id) is not None
    store.jobs.start(started, lease_secs=15)
    store.jobs.request_cancel(cancelled)
    for job_id in (started, cancelled):
        assert queued.waiting_since(store.client, store.tenant, job_id) is None


def test_a_worker_records_the_device_it_trains_on(store: Store) -> None:
    job = store.jobs.new_record(
        dataset_id="ds_x", task="classification", params={}, max_runtime_secs=60,
        device="auto", requested_device="auto",
    )
    store.jobs.create(job)
    running = store.jobs.start(job.id, lease_secs=15, device="cpu")
    assert (running.device, running.requested_device) == ("cpu", "auto")
