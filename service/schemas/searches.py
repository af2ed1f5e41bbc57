"""The public search with its leaderboard (the request is service.schemas.search_create's)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mlpforge.search.leaderboard import Trial
from service.schemas.jobs import Device, JobErrorPublic, TaskName
from store import JobStatus
from store.search_records import SearchRecord


class SearchObjective(BaseModel):
    metric: str
    goal: Literal["maximize", "minimize"]


class HalvingPublic(BaseModel):
    factor: float
    min_resources: int = Field(description="Epochs of the first rung.")
    max_resources: int
    aggressive_elimination: bool
    n_resources: list[int] = Field(description="Epochs of each rung (scikit-learn's n_resources_).")
    n_candidates: list[int] = Field(description="Candidates of each rung (n_candidates_).")
    rung: int = Field(description="The rung running now (the last one once finished).")


class TrialCounts(BaseModel):
    planned: int = Field(description="Jobs the search will run (every rung, fold and refit).")
    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int


class LeaderboardEntry(BaseModel):
    rank: int
    job_id: str = Field(description="The trial's job (with cv: its first fold's).")
    job_ids: list[str] = Field(description="Every job of the trial: one per cv fold.")
    model_id: str | None = None
    candidate: int = Field(description="The candidate's number, in the order drawn.")
    params: dict[str, Any] = Field(description="The candidate's values of the space.")
    objective: float | None = Field(description="Null when a fold has none (failed).")
    fold_objectives: list[float | None] | None = None
    epochs: int = Field(description="Epochs trained (with cv: the folds' mean).")
    seconds: float | None = Field(None, description="Training time of its jobs together.")
    rung: int | None = Field(None, description="Successive halving: the trial's rung.")
    resources: int | None = Field(None, description="The trial's epochs budget (max_iter).")
    status: JobStatus
    error: str | None = None


class SearchPublic(BaseModel):
    """A hyper-parameter search as the API shows it."""

    id: str = Field(examples=["srch_0193a7b2c3d4e5f6a7b8c9d0"])
    status: JobStatus
    progress: float = Field(ge=0.0, le=1.0, description="Finished jobs / planned jobs.")
    dataset_id: str
    task: TaskName
    strategy: Literal["grid", "random", "halving"]
    params: dict[str, Any] = Field(description="The fixed params, as given.")
    space: dict[str, Any]
    objective: SearchObjective
    cv: int | None = None
    refit: bool
    random_state: int | None = None
    max_trials: int
    max_parallel: int
    n_candidates: int = Field(description="Parameter combinations drawn.")
    halving: HalvingPublic | None = None
    trials: TrialCounts
    leaderboard: list[LeaderboardEntry] = Field(description="Finished trials, best first.")
    best_job_id: str | None = None
    best_model_id: str | None = Field(
        None, description="An ordinary model: predict, export (with cv: the refit's)."
    )
    best_params: dict[str, Any] | None = None
    best_objective: float | None = None
    refit_job_id: str | None = None
    waiting: str | None = Field(None, description="Why trials wait, when they do.")
    device: Device
    max_runtime_secs: int
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    error: JobErrorPublic | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None


def _entry(rank: int, trial: Trial, halving: bool) -> LeaderboardEntry:
    return LeaderboardEntry(
        rank=rank,
        job_id=trial.job_id,
        job_ids=trial.job_ids,
        model_id=trial.model_id,
        candidate=trial.candidate,
        params=trial.params,
        objective=trial.objective,
        fold_objectives=trial.fold_objectives,
        epochs=trial.epochs,
        seconds=trial.seconds,
        rung=trial.rung if halving else None,
        resources=trial.resources,
        status=trial.status,  # type: ignore[arg-type]
        error=trial.error,
    )


def search_public(
    search: SearchRecord, ordered: list[Trial], in_flight: dict[str, str]
) -> SearchPublic:
    """``ordered``: the leaderboard's trials, best first; ``in_flight``: status of each job
    the search has queued or running."""
    state = search.state
    halving = search.halving
    best = next((t for t in ordered if t.candidate == state.best_candidate), None)
    return SearchPublic(
        id=search.id,
        status=search.status,
        progress=1.0
        if search.status == "succeeded"
        else round(min(1.0, state.finished_jobs / max(1, search.planned_jobs)), 4),
        dataset_id=search.dataset_id,
        task=search.task,
        strategy=search.strategy,
        params=search.params,
        space=search.space,
        objective=SearchObjective(metric=search.objective.metric, goal=search.objective.goal),
        cv=search.cv,
        refit=search.refit,
        random_state=search.random_state,
        max_trials=search.max_trials,
        max_parallel=search.max_parallel,
        n_candidates=search.n_candidates,
        halving=None
        if halving is None
        else HalvingPublic(
            factor=halving.factor,
            min_resources=halving.min_resources,
            max_resources=halving.max_resources,
            aggressive_elimination=halving.aggressive_elimination,
            n_resources=halving.n_resources,
            n_candidates=halving.n_candidates,
            rung=state.rung,
        ),
        trials=TrialCounts(
            planned=search.planned_jobs,
            queued=sum(1 for s in in_flight.values() if s == "queued"),
            running=sum(1 for s in in_flight.values() if s == "running"),
            succeeded=state.succeeded,
            failed=state.failed,
            cancelled=state.cancelled,
        ),
        leaderboard=[_entry(i + 1, t, halving is not None) for i, t in enumerate(ordered)],
        best_job_id=state.best_job_id,
        best_model_id=state.best_model_id,
        best_params=None if best is None else best.params,
        best_objective=state.best_objective,
        refit_job_id=state.refit_job_id,
        waiting=state.blocked,
        device=search.device,
        max_runtime_secs=search.max_runtime_secs,
        name=search.name,
        tags=search.tags,
        warnings=search.warnings,
        error=None
        if search.error is None
        else JobErrorPublic(type=search.error.type, message=search.error.message),
        created_at=search.created_at,
        started_at=search.started_at,
        finished_at=search.finished_at,
    )
