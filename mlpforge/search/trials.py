"""A search's trials as ordinary jobs: the job record of an allocated trial, and the result
read back from its finished job.

A trial job is a job like any other — listed in /v1/jobs with its ``search_id``, cancellable,
resumed after a worker dies — whose params are its candidate's, already resolved and checked
when the search was admitted; a halving rung sets its epochs (``max_iter``), a cv trial
carries its fold. A promotion continues the previous rung's model (``init_model_id``) when
the job record has that field (the engine's continued training); until then it trains from
scratch for the rung's whole budget (`CONTINUES`).
"""

from __future__ import annotations

from datetime import datetime

from mlpforge.search.leaderboard import REFIT_UNIT
from mlpforge.search.objective import split_for, value_of
from store.ids import utcnow
from store.records import FoldSpec, JobRecord
from store.search_records import ActiveTrial, Candidate, SearchRecord, TrialResult

# Whether a job can start from a model: the field of continued training (`init_model_id`).
CONTINUES = "init_model_id" in JobRecord.model_fields
MAX_NAME_CHARS = 200


def trial_name(search: SearchRecord, trial: ActiveTrial) -> str:
    if trial.unit == REFIT_UNIT:
        what = f"refit of candidate {trial.candidate}"
    else:
        what = f"candidate {trial.candidate}"
        if search.halving is not None:
            what += f", rung {trial.rung} ({resources_of(search, trial)} epochs)"
        if trial.fold is not None:
            what += f", fold {trial.fold + 1}/{search.cv}"
    head = f"{search.name or search.id}: "
    return (head[: MAX_NAME_CHARS - len(what)] + what)[:MAX_NAME_CHARS]


def job_of(search: SearchRecord, trial: ActiveTrial, candidate: Candidate) -> JobRecord:
    params = {**candidate.params, "max_iter": trial.max_iter}
    extra = {}
    if trial.init_model_id is not None and CONTINUES:
        extra["init_model_id"] = trial.init_model_id
    fold = None
    if trial.fold is not None and search.cv is not None:
        fold = FoldSpec(k=search.cv, index=trial.fold, seed=search.fold_seed)
    return JobRecord(
        id=trial.job_id,
        dataset_id=search.dataset_id,
        task=search.task,
        params=params,
        max_runtime_secs=search.max_runtime_secs,
        device=search.device,
        requested_device=search.device,
        queue=search.queue,
        name=trial_name(search, trial),
        search_id=search.id,
        fold=fold,
        request_id=search.request_id,
        created_at=utcnow(),
        **extra,
    )


def resources_of(search: SearchRecord, trial: ActiveTrial) -> int:
    """The trial's epochs budget: its rung's (halving), else its max_iter."""
    if search.halving is not None and trial.unit != REFIT_UNIT:
        return search.halving.n_resources[trial.rung]
    return trial.max_iter


def _seconds(job: JobRecord) -> float | None:
    if not job.started_at or not job.finished_at:
        return None
    began = datetime.fromisoformat(job.started_at.replace("Z", "+00:00"))
    ended = datetime.fromisoformat(job.finished_at.replace("Z", "+00:00"))
    return round((ended - began).total_seconds(), 3)


def result_of(search: SearchRecord, trial: ActiveTrial, job: JobRecord | None) -> TrialResult:
    """The trial's result once its job has finished (None: the job was deleted meanwhile)."""
    resources = resources_of(search, trial)
    if job is None:
        return TrialResult(
            unit=trial.unit,
            job_id=trial.job_id,
            candidate=trial.candidate,
            rung=trial.rung,
            fold=trial.fold,
            status="failed",
            resources=resources,
            error="the trial's job was deleted before it finished",
            finished_at=utcnow(),
        )
    objective = None
    if job.status == "succeeded":
        early_stopping = bool(job.params.get("early_stopping"))
        metric = search.objective.metric
        split = split_for(metric, cv=trial.fold is not None, early_stopping=early_stopping)
        objective = value_of(
            metric, task=search.task, split=split, evaluation=job.evaluation, metrics=job.metrics
        )
    error = job.error.message if job.error is not None else None
    if job.status == "cancelled":
        error = "cancelled"
    return TrialResult(
        unit=trial.unit,
        job_id=job.id,
        candidate=trial.candidate,
        rung=trial.rung,
        fold=trial.fold,
        status=job.status,
        objective=objective,
        epochs=job.epoch + (trial.prior_epochs if trial.init_model_id and CONTINUES else 0),
        seconds=_seconds(job),
        resources=resources,
        model_id=job.model_id,
        error=error,
        finished_at=job.finished_at,
    )
