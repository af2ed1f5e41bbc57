"""What a search request must satisfy before it is stored: every candidate it will try is a
job that `service.admission` would admit, and its plan fits the limits.

Each candidate goes through the jobs' own checks (`resolve_params`: the engine's parameter
constraints, the epoch, size and work limits, trainability on this dataset — on the rows one cv
fold trains on), so a search never queues a trial that a POST /v1/jobs would refuse. A value
that makes a bad job is a 422 at ``space.<param>`` naming the value; a combination that does,
one naming every value of the combination.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import MLPParams
from engine.errors import ParamError
from mlpforge.search import folds, halving, objective, space
from mlpforge.settings import Settings
from service.admission import choose_task, resolve_params, runtime_limit
from service.errors import ApiError, invalid
from service.schemas import JobCreate
from service.schemas.search_create import RangeSpec, SearchCreate
from store import DatasetRecord
from store.search_records import Candidate, HalvingPlan, Objective

PARAM_NAMES = frozenset(MLPParams.__dataclass_fields__)
DEFAULT_RANDOM_TRIALS = 10  # scikit-learn's RandomizedSearchCV n_iter


@dataclass(frozen=True)
class AdmittedSearch:
    task: str
    candidates: list[Candidate]
    objective: Objective
    halving: HalvingPlan | None
    planned_jobs: int
    max_runtime_secs: int
    seed: int
    warnings: list[str]


def _described(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={space.shown(value)}" for name, value in values.items())


def _refused(field: str, message: str, values: Mapping[str, Any], loc: list[Any]) -> ApiError:
    """A candidate's problem, placed at the space parameter at fault when there is one."""
    if field in values:
        return invalid(["body", "space", field], f"{field}={space.shown(values[field])}: {message}")
    return invalid(loc, f"with {_described(values)}: {message}")


def _fixed_params(body: SearchCreate) -> dict[str, Any]:
    for name in body.params:
        if name not in PARAM_NAMES:
            raise invalid(["body", "params", name[:64]], "unknown parameter")
    try:
        MLPParams(**body.params)
    except ParamError as error:
        raise invalid(["body", "params", error.field], error.message) from None
    return dict(body.params)


def _space(body: SearchCreate, fixed: dict[str, Any]) -> dict[str, space.Dimension]:
    """The space, each parameter known and each value (each end of a range) a valid one."""
    out: dict[str, space.Dimension] = {}
    for name, given in body.space.items():
        loc = ["body", "space", name[:64]]
        if name not in PARAM_NAMES:
            raise invalid(loc, f"unknown parameter; one of {', '.join(sorted(PARAM_NAMES))}")
        if body.strategy == "halving" and name == "max_iter":
            raise invalid(loc, "halving uses max_iter as its resource: it cannot be searched too")
        if isinstance(given, RangeSpec):
            if body.strategy == "grid":
                raise invalid(
                    loc, "a grid takes a list of values; ranges are for random and halving"
                )
            dimension: space.Dimension = space.Range(
                float(given.low), float(given.high), given.log, given.integer
            )
        else:
            dimension = list(given)
        for value in space.values_of(dimension):
            try:
                MLPParams(**{**fixed, name: value})
            except ParamError as error:
                raise _refused(error.field, error.message, {name: value}, loc) from None
        out[name] = dimension
    return out


def _drawn(
    body: SearchCreate, dims: dict[str, space.Dimension], settings: Settings, seed: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """The candidates' space values, in the order they will be tried."""
    limit = settings.max_trials
    if body.max_trials is not None and body.max_trials > limit:
        raise invalid(
            ["body", "max_trials"],
            f"at most {limit:,} (MLPFORGE_MAX_TRIALS), got {body.max_trials:,}",
        )
    if body.strategy == "grid":
        size = space.grid_size(dims)
        allowed = body.max_trials or limit
        if size > allowed:
            where = f"max_trials is {allowed:,}" if body.max_trials else f"the limit is {limit:,}"
            raise invalid(
                ["body", "max_trials" if body.max_trials else "space"],
                f"the grid has {size:,} points and {where} (MLPFORGE_MAX_TRIALS): search fewer "
                "values, or use strategy 'random'",
            )
        return list(space.grid(dims)), []
    if body.strategy == "random":
        wanted = body.max_trials or DEFAULT_RANDOM_TRIALS
    else:
        first = body.halving.min_resources if body.halving else "smallest"
        per = first if isinstance(first, int) else 1
        wanted = body.max_trials or min(limit, max(1, _max_resources(body) // max(1, per)))
    drawn = space.sample(dims, wanted, seed)
    warnings = []
    if len(drawn) < wanted:
        warnings.append(
            f"the space has only {len(drawn)} distinct points: {len(drawn)} candidates instead "
            f"of {wanted}"
        )
    return drawn, warnings


def _max_resources(body: SearchCreate) -> int:
    if body.halving is not None and body.halving.max_resources is not None:
        return body.halving.max_resources
    return int(MLPParams(**body.params).max_iter)


def _halving_plan(body: SearchCreate, n_candidates: int) -> HalvingPlan | None:
    if body.strategy != "halving":
        if body.halving is not None:
            raise invalid(["body", "halving"], "only for strategy 'halving'")
        return None
    spec = body.halving
    factor = float(spec.factor) if spec else 3.0
    minimum = spec.min_resources if spec else "smallest"
    maximum = _max_resources(body)
    aggressive = spec.aggressive_elimination if spec else False
    try:
        rungs = halving.plan(
            n_candidates,
            factor=factor,
            min_resources=minimum,
            max_resources=maximum,
            aggressive_elimination=aggressive,
        )
    except halving.HalvingError as error:
        where = (
            ["body", "max_trials"]
            if error.field == "max_trials"
            else ["body", "halving", error.field]
        )
        raise invalid(where, error.message) from None
    return HalvingPlan(
        factor=factor,
        min_resources=rungs.min_resources,
        max_resources=maximum,
        aggressive_elimination=aggressive,
        n_resources=rungs.n_resources,
        n_candidates=rungs.n_candidates,
    )


def _resolved(
    body: SearchCreate,
    fixed: dict[str, Any],
    values: dict[str, Any],
    task: str,
    dataset: DatasetRecord,
    settings: Settings,
    max_iter: int | None,
) -> MLPParams:
    """One candidate's params, resolved and checked as a job's are."""
    merged = {**fixed, **values}
    if max_iter is not None:
        merged["max_iter"] = max_iter
    try:
        params = MLPParams(**merged)
    except ParamError as error:
        raise _refused(error.field, error.message, values, ["body", "space"]) from None
    job = JobCreate(dataset_id=body.dataset_id, task=task, params=params)  # type: ignore[arg-type]
    try:
        return resolve_params(job, task, dataset, settings)
    except ApiError as error:
        first = (error.errors or [{"loc": ["body"], "msg": error.detail}])[0]
        loc = list(first["loc"])
        field = str(loc[2]) if len(loc) > 2 and loc[1] == "params" else ""
        raise _refused(field, str(first["msg"]), values, loc) from None


def admit_search(body: SearchCreate, dataset: DatasetRecord, settings: Settings) -> AdmittedSearch:
    base = JobCreate(
        dataset_id=body.dataset_id,
        task=body.task,
        max_runtime_secs=body.max_runtime_secs,
        device=body.device,
    )
    task = choose_task(base, dataset)
    fixed = _fixed_params(body)
    dims = _space(body, fixed)
    seed = body.random_state if body.random_state is not None else secrets.randbits(32)
    drawn, warnings = _drawn(body, dims, settings, seed)
    plan = _halving_plan(body, len(drawn))
    trainable = dataset
    if body.cv is not None:
        if body.cv > dataset.n_samples:
            raise invalid(
                ["body", "cv"], f"{body.cv} folds of a dataset of {dataset.n_samples} rows"
            )
        rows = folds.smallest_training_rows(dataset.n_samples, body.cv)
        trainable = dataset.model_copy(update={"n_samples": rows})
    max_iter = plan.max_resources if plan is not None else None
    candidates = []
    for index, values in enumerate(drawn):
        params = _resolved(body, fixed, values, task, trainable, settings, max_iter)
        candidates.append(Candidate(index=index, values=values, params=params.to_dict()))
    metric = (
        body.objective.metric
        if body.objective
        else ("accuracy" if task == "classification" else "r2")
    )
    try:
        warnings += objective.check(
            metric,
            task,
            cv=body.cv is not None,
            early_stopping={bool(c.params["early_stopping"]) for c in candidates},
            n_classes=dataset.n_distinct_targets,
        )
    except objective.ObjectiveError as error:
        raise invalid(["body", "objective", error.field], error.message) from None
    goal = body.objective.goal if body.objective and body.objective.goal else None
    trials = sum(plan.n_candidates) if plan is not None else len(candidates)
    refit = body.cv is not None and body.refit
    planned = trials * (body.cv or 1) + (1 if refit else 0)
    if planned > settings.max_search_jobs:
        raise invalid(
            ["body", "cv" if body.cv else "max_trials"],
            f"this search would run {planned:,} jobs ({trials:,} trials"
            + (f" × {body.cv} folds" if body.cv else "")
            + f"); at most {settings.max_search_jobs:,} are allowed (MLPFORGE_MAX_SEARCH_JOBS)",
        )
    return AdmittedSearch(
        task=task,
        candidates=candidates,
        objective=Objective(metric=metric, goal=goal or objective.default_goal(metric)),
        halving=plan,
        planned_jobs=planned,
        max_runtime_secs=runtime_limit(base, settings),
        seed=seed,
        warnings=warnings,
    )
