"""The stored shape of a hyper-parameter search (mlpforge.search): the request as admitted,
the plan, and the controller's state.

A search's candidates (each a parameter combination, resolved as a job's params are) are kept
apart from the record, one list entry each, and so are the results of its finished trials
(one hash field each): the record itself stays small however many trials the search runs,
and a step of the controller reads only the record and the few jobs it has in flight.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from store.records import FINISHED, JobError, JobStatus, Record

Strategy = Literal["grid", "random", "halving"]
Goal = Literal["maximize", "minimize"]
Phase = Literal["trials", "refit", "done"]


class Objective(Record):
    metric: str
    goal: Goal


class HalvingPlan(Record):
    """Successive halving with epochs as the resource, as scikit-learn's HalvingRandomSearchCV
    plans it: rung i trains ``n_candidates[i]`` candidates for ``n_resources[i]`` epochs."""

    factor: float
    min_resources: int
    max_resources: int
    aggressive_elimination: bool = False
    n_resources: list[int]
    n_candidates: list[int]


class Candidate(Record):
    """One parameter combination: the space's values, and every param of its jobs resolved."""

    index: int
    values: dict[str, Any]
    params: dict[str, Any]


class ActiveTrial(Record):
    """A job the controller has allocated and not yet seen finish: everything its job record
    is built from. ``created``: the record exists (the allocation is written first, so that a
    crash between the two is retried, not lost). ``init_model_id``: a halving promotion that
    continues the previous rung's model, which had trained ``prior_epochs``."""

    job_id: str
    unit: str
    candidate: int
    rung: int = 0
    fold: int | None = None
    max_iter: int
    init_model_id: str | None = None
    prior_epochs: int = 0
    created: bool = False


class TrialResult(Record):
    """One finished job of a search: a candidate at a rung (epochs budget), on one cv fold."""

    unit: str
    job_id: str
    candidate: int
    values: dict[str, Any] = Field(default_factory=dict, description="The candidate's.")
    rung: int = 0
    fold: int | None = None
    status: JobStatus
    objective: float | None = None
    epochs: int = 0
    seconds: float | None = None
    resources: int | None = None
    model_id: str | None = None
    error: str | None = None
    finished_at: str | None = None


class SearchState(Record):
    """Where the controller stands; only the controller writes it (fenced by ``version``)."""

    version: int = 0
    phase: Phase = "trials"
    rung: int = 0
    rung_candidates: list[int] = Field(default_factory=list)
    next_unit: int = 0
    active: list[ActiveTrial] = Field(default_factory=list)
    # Jobs finished so far, by status; `finished_jobs` also numbers the search's events.
    finished_jobs: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    refit_job_id: str | None = None
    best_candidate: int | None = None
    best_objective: float | None = None
    best_job_id: str | None = None
    best_model_id: str | None = None
    # Why allocated trials are not queued yet (the tenant's active-jobs limit), if they wait.
    blocked: str | None = None


class SearchRecord(Record):
    id: str
    status: JobStatus = "queued"
    dataset_id: str
    task: Literal["classification", "regression"]
    strategy: Strategy
    params: dict[str, Any] = Field(description="The fixed params, as the request gave them.")
    space: dict[str, Any]
    objective: Objective
    cv: int | None = None
    fold_seed: int = 0
    random_state: int | None = None
    max_trials: int
    max_parallel: int
    halving: HalvingPlan | None = None
    refit: bool = False
    n_candidates: int
    planned_jobs: int
    device: Literal["auto", "cpu", "gpu"] = "auto"
    queue: str = "cpu"
    max_runtime_secs: int
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    request_id: str | None = None
    warnings: list[str] = Field(default_factory=list)
    error: JobError | None = None
    state: SearchState = Field(default_factory=SearchState)
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
