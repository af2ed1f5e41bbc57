"""One attempt's fit: the trainer it starts from, and the engine run with the job's hooks.

The trainer is the job's checkpoint when it has one (a worker died: the fit resumes where it
stopped), else a fresh fit — or, for a job with ``init_model_id``, the fit that continues that
model (``Trainer.from_model``: its weights, solver state and standardization). Every epoch
(an L-BFGS iteration with lbfgs) is recorded with its progress; a checkpoint goes with it when
one is due. Cancellation and a lost lease are checked between batches and epochs (lbfgs:
between row chunks of an evaluation and between iterations).
"""

from __future__ import annotations

import logging
import time
from types import ModuleType

import numpy as np
import redis

from engine import (
    EpochReport,
    FittedModel,
    MLPParams,
    ModelFormatError,
    Trainer,
    load_model,
)
from store import JobRecord, StaleWorker, Store
from store.records import Label
from worker.checkpoints import CheckpointSchedule
from worker.device import array_module
from worker.lease import Lease
from worker.patience import patiently
from worker.timings import Timings
from worker.training_meter import METER

log = logging.getLogger(__name__)

# How often the cancel flag is read, at most.
CANCEL_POLL_SECS = 0.2


class ParentModelMissing(Exception):
    """The model a job continues (``init_model_id``) was deleted before the job started."""


def trainer_for(
    store: Store,
    job: JobRecord,
    rows: tuple[np.ndarray, ...],
    classes: list[Label] | None,
    xp: ModuleType | None,
) -> Trainer:
    """The job's trainer: from its checkpoint, from its parent model, or fresh. ``rows`` is
    (X, y) or (X, y, sample weights)."""
    X, y = rows[0], rows[1]
    weights = rows[2] if len(rows) > 2 else None
    blob = store.jobs.checkpoint(job.id)
    if blob is not None:
        try:
            trainer = Trainer.resume(X, y, blob, xp=xp, classes=classes, sample_weight=weights)
        except ModelFormatError:
            log.exception("checkpoint of job %s unreadable; starting over", job.id)
        else:
            log.info(
                "job %s resumes from its checkpoint after %d finished epoch(s)",
                job.id,
                trainer.epoch,
            )
            return trainer
    params = MLPParams.from_dict(job.params)
    if job.init_model_id is None:
        return Trainer(
            X, y, task=job.task, params=params, xp=xp, classes=classes, sample_weight=weights
        )
    parent = store.models.blob(job.init_model_id)
    if parent is None:
        raise ParentModelMissing(job.init_model_id)
    return Trainer.from_model(
        load_model(parent), X, y, params=params, xp=xp, classes=classes, sample_weight=weights
    )


def fit(
    store: Store,
    job: JobRecord,
    attempt: int,
    rows: tuple[np.ndarray, ...],
    classes: list[Label] | None,
    lease: Lease,
    timings: Timings,
    checkpoint_secs: float,
) -> tuple[Trainer, FittedModel]:
    """The trainer, run to its end (for its convergence and split), and its model."""
    with timings.phase("prepare"):
        trainer = trainer_for(store, job, rows, classes, array_module(job.device))
    hooks = _Hooks(store, job, attempt, trainer, lease, timings)
    with timings.phase("fit"):
        model = trainer.run(
            on_epoch=hooks.on_epoch,
            should_stop=hooks.should_stop,
            on_progress=hooks.on_progress,
            progress_every_secs=checkpoint_secs,
        )
    return trainer, model


class _Hooks:
    """What the engine calls back while it trains: report, checkpoint, check for a stop."""

    def __init__(
        self,
        store: Store,
        job: JobRecord,
        attempt: int,
        trainer: Trainer,
        lease: Lease,
        timings: Timings,
    ) -> None:
        self.store, self.job, self.attempt = store, job, attempt
        self.trainer, self.lease, self.timings = trainer, lease, timings
        self.schedule = CheckpointSchedule()
        self.last_poll = 0.0

    def on_epoch(self, report: EpochReport) -> None:
        trainer, timings = self.trainer, self.timings
        began = time.perf_counter()
        checkpoint = trainer.checkpoint() if self.schedule.due() else None
        timings.add("checkpoint", time.perf_counter() - began)
        progress = min(1.0, report["epoch"] / max(1, trainer.max_epochs))
        with timings.phase("record_epoch"):
            patiently(
                lambda: self.store.jobs.record_epoch(
                    self.job.id,
                    attempt=self.attempt,
                    entry=dict(report),
                    progress=progress,
                    checkpoint=checkpoint,
                )
            )
        if checkpoint is not None:
            self.schedule.taken(time.perf_counter() - began)
        METER.epoch(self.store.client, self.job.device, trainer.data.n_train, report["seconds"])

    def should_stop(self) -> bool:
        if self.lease.lost.is_set():
            raise StaleWorker(self.job.id)  # another attempt may own the job now: write nothing
        now = time.monotonic()
        if now - self.last_poll < CANCEL_POLL_SECS:
            return False
        self.last_poll = now
        try:
            return self.store.jobs.cancel_requested(self.job.id)
        except redis.RedisError:
            return False  # Redis away: keep training; the next epoch's report waits for it.

    def on_progress(self) -> None:
        """Inside a long epoch: checkpoint, so a dead worker's successor resumes mid-epoch."""
        began = time.perf_counter()
        checkpoint = self.trainer.checkpoint()
        patiently(
            lambda: self.store.jobs.save_checkpoint(
                self.job.id, attempt=self.attempt, checkpoint=checkpoint
            )
        )
        self.timings.add("checkpoint", time.perf_counter() - began)
        self.schedule.taken(time.perf_counter() - began)
