"""Run one job: load it, train with the engine, report every epoch, publish the model.

Idempotent at the top: a finished job is left alone, a cancelled one is not started, and a
job that was running when its worker died resumes from its last checkpoint.
"""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded

from engine import EngineError, FitCancelled
from mlpforge.blob_config import blob_store
from mlpforge.log_context import bound, current
from mlpforge.settings import Settings, get_settings
from store import (
    JobError,
    JobRecord,
    JobStatus,
    LeaseHeld,
    StaleWorker,
    Store,
    TransitionRefused,
)
from store.blobs import BlobStoreError
from store.connection import connect
from store.datasets import class_table
from worker.dataset_cache import DatasetCache
from worker.device import GpuUnavailable, device_for
from worker.evaluation import Outcome, outcome_of
from worker.fit import ParentModelMissing, fit
from worker.folds import training_rows, with_held_out
from worker.lease import Lease
from worker.patience import patiently
from worker.publish import model_id_for, publish_model
from worker.timings import Timings
from worker.training_meter import METER

__all__ = ["MAX_ATTEMPTS", "model_id_for", "run_job"]

log = logging.getLogger(__name__)

# A job whose worker died this many times fails instead of killing workers forever.
MAX_ATTEMPTS = 3

# The last dataset this process trained on (see worker.dataset_cache).
DATASETS = DatasetCache()


def _store(tenant: str, settings: Settings) -> Store:
    client = connect(settings.redis_url, settings.redis_timeout_secs)
    return Store(
        client, tenant, job_retention_secs=settings.job_retention_secs, blobs=blob_store(settings)
    )


def run_job(tenant: str, job_id: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    store = _store(tenant, settings)
    job = store.jobs.get(job_id)
    if job is None:
        log.warning("job %s of tenant %s does not exist; dropping the task", job_id, tenant)
        return
    if job.finished:
        return
    # A task re-sent by the reaper carries no request id: the job's own, for this run only
    # (a direct call — a test, a search step — must not leave it bound in its caller).
    with bound(request_id=job.request_id if current("request_id") is None else None):
        _run_started(store, settings, job_id, job)


def _run_started(store: Store, settings: Settings, job_id: str, job: JobRecord) -> None:
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
    classes = class_table(dataset, arrays.y)
    try:
        # (X, y) or (X, y, sample weights); a search's cv trial keeps its folds' rows.
        rows, held_out = training_rows(job, arrays.per_row(), classes)
        trainer, model = fit(store, job, attempt, rows, classes, lease, timings, checkpoint_secs)
        with timings.phase("evaluate"):
            outcome = outcome_of(store, job, trainer, model, rows, classes, patiently)
            outcome = with_held_out(outcome, model, held_out)
    except FitCancelled:
        _finish(store, job, attempt, "cancelled")
    except StaleWorker:
        log.warning("job %s was taken over by another worker; this attempt stops", job_id)
    except ParentModelMissing as missing:
        _fail(store, job, attempt, "ModelMissing", f"model {missing} (init_model_id) was deleted")
    except (EngineError, ValueError, BlobStoreError) as error:
        _fail(store, job, attempt, type(error).__name__, str(error))
    else:
        with timings.phase("publish"):
            model_id = publish_model(store, job, model, outcome)
            _finish(store, job, attempt, "succeeded", model_id=model_id, outcome=outcome)
    log.info("job %s timings (s): %s", job_id, timings.summary())


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
        patiently(
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
