"""Run one job: load it, train with the engine, report every epoch, publish the model.

Idempotent at the top: a finished job is left alone, a cancelled one is not started, and a
job that was running when its worker died resumes from its last checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import redis
from celery.exceptions import SoftTimeLimitExceeded

from engine import (
    EngineError,
    EpochReport,
    FitCancelled,
    FittedModel,
    MLPParams,
    ModelFormatError,
    Trainer,
)
from mlpforge.log_context import bind, current
from mlpforge.settings import Settings, get_settings
from store import (
    JobError,
    JobRecord,
    JobStatus,
    LeaseHeld,
    ModelRecord,
    StaleWorker,
    Store,
    TransitionRefused,
)
from store.connection import connect
from store.datasets import class_table
from store.ids import utcnow
from store.records import Label
from worker.checkpoints import CheckpointSchedule
from worker.dataset_cache import DatasetCache
from worker.device import GpuUnavailable, array_module, device_for
from worker.evaluation import Outcome, outcome_of
from worker.lease import Lease
from worker.timings import Timings
from worker.training_meter import METER

log = logging.getLogger(__name__)

# A job whose worker died this many times fails instead of killing workers forever.
MAX_ATTEMPTS = 3
# How often the cancel flag is read, at most.
CANCEL_POLL_SECS = 0.2
# How long a worker waits for Redis to come back before giving the job up to redelivery.
REDIS_PATIENCE_SECS = 120.0

T = TypeVar("T")

# The last dataset this process trained on (see worker.dataset_cache).
DATASETS = DatasetCache()


def _store(tenant: str, settings: Settings) -> Store:
    client = connect(settings.redis_url, settings.redis_timeout_secs)
    return Store(client, tenant, job_retention_secs=settings.job_retention_secs)


def _patiently(call: Callable[[], T]) -> T:
    """Retry a store call through a Redis outage, so an epoch's report is not lost."""
    deadline = time.monotonic() + REDIS_PATIENCE_SECS
    while True:
        try:
            return call()
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def model_id_for(job_id: str) -> str:
    # Derived from the job, so publishing the model twice (after a crash) writes one model.
    return "mdl_" + job_id.removeprefix("job_")


def run_job(tenant: str, job_id: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    store = _store(tenant, settings)
    job = store.jobs.get(job_id)
    if job is None:
        log.warning("job %s of tenant %s does not exist; dropping the task", job_id, tenant)
        return
    if job.finished:
        return
    if current("request_id") is None:
        bind(request_id=job.request_id)  # a re-sent task carries none; worker.tasks resets it
    unusable: GpuUnavailable | None = None
    try:
        device: str | None = device_for(job.requested_device or job.device)
    except GpuUnavailable as error:
        device, unusable = None, error  # started all the same: the failure must be fenced
    try:
        job = store.jobs.start(job_id, lease_secs=settings.lease_secs, device=device)
    except TransitionRefused:
        return
    except LeaseHeld:
        log.info("job %s is being trained by a live worker; duplicate delivery ignored", job_id)
        return
    # From here on the attempt number is known: every write that ends the job carries it,
    # the time limit's too, so a stale attempt can never end a job another one owns.
    attempt = job.attempts
    with Lease(store, job_id, attempt, settings.lease_secs) as lease:
        try:
            if unusable is not None:
                _fail(store, job, attempt, "DeviceUnavailable", str(unusable))
            else:
                _run_attempt(store, job, lease, settings.checkpoint_secs)
        except SoftTimeLimitExceeded:
            log.warning("job %s reached its time limit in attempt %d", job_id, attempt)
            _fail(
                store,
                job,
                attempt,
                "TimeLimitExceeded",
                f"time limit: the job ran longer than max_runtime_secs={job.max_runtime_secs}",
            )


def _run_attempt(store: Store, job: JobRecord, lease: Lease, checkpoint_secs: float) -> None:
    job_id, attempt = job.id, job.attempts
    if attempt > MAX_ATTEMPTS:
        _fail(store, job, attempt, "WorkerLost", f"the job's worker died {MAX_ATTEMPTS} times")
        return
    if store.jobs.cancel_requested(job_id):
        _finish(store, job, attempt, "cancelled")
        return
    timings = Timings()
    with timings.phase("load_dataset"):
        arrays = DATASETS.arrays(store, job.dataset_id)
        dataset = store.datasets.get(job.dataset_id) if arrays is not None else None
    if arrays is None or dataset is None:
        _fail(store, job, attempt, "DatasetMissing", f"dataset {job.dataset_id} was deleted")
        return
    # A categorical y is stored as codes into the record's classes: the engine trains on them
    # as they are, and the model still answers with the labels.
    classes = class_table(dataset, arrays[1])
    try:
        trainer, model = _train(
            store, job, attempt, arrays, classes, lease, timings, checkpoint_secs
        )
        with timings.phase("evaluate"):
            outcome = outcome_of(store, job, trainer, model, arrays, classes, _patiently)
    except FitCancelled:
        _finish(store, job, attempt, "cancelled")
    except StaleWorker:
        log.warning("job %s was taken over by another worker; this attempt stops", job_id)
    except (EngineError, ValueError) as error:
        _fail(store, job, attempt, type(error).__name__, str(error))
    else:
        with timings.phase("publish"):
            _publish(store, job, attempt, model, outcome)
    log.info("job %s timings (s): %s", job_id, timings.summary())


def _train(
    store: Store,
    job: JobRecord,
    attempt: int,
    arrays: tuple[np.ndarray, np.ndarray],
    classes: list[Label] | None,
    lease: Lease,
    timings: Timings,
    checkpoint_secs: float,
) -> tuple[Trainer, FittedModel]:
    """The trainer, run to its end (for its convergence and split), and its model."""
    X, y = arrays
    xp = array_module(job.device)
    with timings.phase("prepare"):
        blob = store.jobs.checkpoint(job.id)
        if blob is not None:
            try:
                trainer = Trainer.resume(X, y, blob, xp=xp, classes=classes)
                log.info(
                    "job %s resumes from its checkpoint after %d finished epoch(s)",
                    job.id,
                    trainer.epoch,
                )
            except ModelFormatError:
                log.exception("checkpoint of job %s unreadable; starting over", job.id)
                blob = None
        if blob is None:
            params = MLPParams.from_dict(job.params)
            trainer = Trainer(X, y, task=job.task, params=params, xp=xp, classes=classes)

    schedule = CheckpointSchedule()

    def on_epoch(report: EpochReport) -> None:
        began = time.perf_counter()
        checkpoint = trainer.checkpoint() if schedule.due() else None
        timings.add("checkpoint", time.perf_counter() - began)
        progress = min(1.0, report["epoch"] / max(1, trainer.max_epochs))
        with timings.phase("record_epoch"):
            _patiently(
                lambda: store.jobs.record_epoch(
                    job.id,
                    attempt=attempt,
                    entry=dict(report),
                    progress=progress,
                    checkpoint=checkpoint,
                )
            )
        if checkpoint is not None:
            schedule.taken(time.perf_counter() - began)
        METER.epoch(store.client, job.device, trainer.data.n_train, report["seconds"])

    last_poll = [0.0]

    def should_stop() -> bool:
        if lease.lost.is_set():
            raise StaleWorker(job.id)  # another attempt may own the job now: write nothing
        now = time.monotonic()
        if now - last_poll[0] < CANCEL_POLL_SECS:
            return False
        last_poll[0] = now
        try:
            return store.jobs.cancel_requested(job.id)
        except redis.RedisError:
            return False  # Redis away: keep training; the next epoch's report waits for it.

    def on_progress() -> None:
        """Inside a long epoch: checkpoint, so a dead worker's successor resumes mid-epoch."""
        began = time.perf_counter()
        checkpoint = trainer.checkpoint()
        _patiently(
            lambda: store.jobs.save_checkpoint(job.id, attempt=attempt, checkpoint=checkpoint)
        )
        timings.add("checkpoint", time.perf_counter() - began)
        schedule.taken(time.perf_counter() - began)

    with timings.phase("fit"):
        model = trainer.run(
            on_epoch=on_epoch,
            should_stop=should_stop,
            on_progress=on_progress,
            progress_every_secs=checkpoint_secs,
        )
    return trainer, model


def _publish(
    store: Store, job: JobRecord, attempt: int, model: FittedModel, outcome: Outcome
) -> None:
    dataset = store.datasets.get(job.dataset_id)
    # The name and tags as they are now: they may have been changed while the job trained.
    current = store.jobs.get(job.id) or job
    blob = model.to_bytes()
    record = ModelRecord(
        id=model_id_for(job.id),
        job_id=job.id,
        dataset_id=job.dataset_id,
        task=job.task,
        n_features=model.n_features_in_,
        feature_names=dataset.feature_names if dataset else None,
        classes=None if model.classes_ is None else model.classes_.tolist(),
        hidden_layer_sizes=list(model.hidden_layer_sizes),
        activation=model.activation,
        n_parameters=model.n_parameters,
        metrics=model.final_metrics(),
        evaluation=outcome.evaluation,
        dataset_sha256=dataset.sha256 if dataset else "",
        name=current.name,
        tags=current.tags,
        size_bytes=len(blob),
        created_at=utcnow(),
    )
    _patiently(lambda: store.models.create(record, blob))
    _finish(store, job, attempt, "succeeded", model_id=record.id, outcome=outcome)


def _fail(store: Store, job: JobRecord, attempt: int, kind: str, message: str) -> None:
    _finish(store, job, attempt, "failed", error=JobError(type=kind, message=message))


def _finish(
    store: Store,
    job: JobRecord,
    attempt: int,
    status: JobStatus,
    *,
    model_id: str | None = None,
    error: JobError | None = None,
    outcome: Outcome | None = None,
) -> None:
    try:
        _patiently(
            lambda: store.jobs.finish(
                job.id,
                status=status,
                attempt=attempt,
                model_id=model_id,
                error=error,
                evaluation=None if outcome is None else outcome.evaluation,
                converged=None if outcome is None else outcome.converged,
                warnings=[] if outcome is None else outcome.warnings,
            )
        )
        METER.job_finished(store.client, job, status)
    except (StaleWorker, TransitionRefused):
        log.warning("job %s: final status %s not written (no longer ours)", job.id, status)
