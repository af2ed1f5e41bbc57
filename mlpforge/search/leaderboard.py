"""A search's trials ranked best first, from the results of its finished jobs.

A trial is a candidate at a rung (its epochs budget): one job, or one per cv fold. It enters
the leaderboard once all its jobs have finished; its objective is the mean over its folds,
and missing (null) if any fold has none (failed, cancelled, or a score the data leaves
undefined), as scikit-learn's ``error_score=nan`` makes the mean NaN. Ranking: for successive
halving the later rungs first (scikit-learn's best_index_ is the best of the last rung), then
by objective in the goal's direction, missing last, then by candidate number.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mlpforge.search.objective import Goal, ranking_key
from store.search_records import TrialResult

REFIT_UNIT = "refit"


def unit_key(candidate: int, rung: int, fold: int) -> str:
    return f"c{candidate}r{rung}f{fold}"


@dataclass(frozen=True)
class Trial:
    candidate: int
    rung: int
    job_id: str
    job_ids: list[str]
    model_id: str | None
    params: dict[str, Any]
    objective: float | None
    fold_objectives: list[float | None] | None
    epochs: int
    seconds: float | None
    resources: int | None
    status: str
    error: str | None


def trials(results: Iterable[TrialResult], *, folds: int) -> list[Trial]:
    """The complete trials among ``results``."""
    grouped: dict[tuple[int, int], list[TrialResult]] = defaultdict(list)
    for result in results:
        if result.unit != REFIT_UNIT:
            grouped[(result.candidate, result.rung)].append(result)
    out = []
    for (candidate, rung), jobs in grouped.items():
        if len(jobs) < folds:
            continue  # some of its folds still run
        jobs.sort(key=lambda r: r.fold or 0)
        objectives = [r.objective for r in jobs]
        statuses = {r.status for r in jobs}
        status = (
            "succeeded"
            if statuses == {"succeeded"}
            else ("cancelled" if "cancelled" in statuses else "failed")
        )
        seconds = [r.seconds for r in jobs if r.seconds is not None]
        out.append(
            Trial(
                candidate=candidate,
                rung=rung,
                job_id=jobs[0].job_id,
                job_ids=[r.job_id for r in jobs],
                model_id=jobs[0].model_id,
                params=dict(jobs[0].values),
                objective=_mean(objectives),
                fold_objectives=objectives if folds > 1 else None,
                epochs=round(sum(r.epochs for r in jobs) / len(jobs)),
                seconds=round(sum(seconds), 3) if seconds else None,
                resources=jobs[0].resources,
                status=status,
                error=next((r.error for r in jobs if r.error), None),
            )
        )
    return out


def _mean(values: list[float | None]) -> float | None:
    if not values or any(v is None or not math.isfinite(v) for v in values):
        return None
    present = [v for v in values if v is not None]
    return sum(present) / len(present)


def ranked(found: Iterable[Trial], goal: Goal, *, by_rung: bool) -> list[Trial]:
    return sorted(
        found,
        key=lambda t: (-t.rung if by_rung else 0, *ranking_key(t.objective, goal), t.candidate),
    )


def best(ordered: list[Trial]) -> Trial | None:
    """The leaderboard's first trial, if it has an objective."""
    return ordered[0] if ordered and ordered[0].objective is not None else None


def survivors(rung_trials: Iterable[Trial], goal: Goal, k: int) -> list[int]:
    """The ``k`` best candidates of one rung, best first (failed ones only if they must)."""
    return [t.candidate for t in ranked(rung_trials, goal, by_rung=False)[:k]]
