"""The leaderboard: complete trials only, fold means, best first in the goal's direction,
later halving rungs first, failed trials last."""

from __future__ import annotations

from typing import Any

from mlpforge.search import leaderboard
from store.search_records import TrialResult


def result(candidate: int, objective: float | None, *, rung: int = 0, fold: int | None = None,
           status: str = "succeeded") -> TrialResult:  # fmt: skip
    unit = leaderboard.unit_key(candidate, rung, fold or 0)
    values: dict[str, Any] = {"alpha": candidate / 10}
    return TrialResult(unit=unit, job_id=f"job_{unit}", candidate=candidate, values=values,
                       rung=rung, fold=fold, status=status, objective=objective,  # type: ignore[arg-type]
                       epochs=5, seconds=1.0, resources=5)  # fmt: skip


def test_best_first_in_the_goals_direction_with_failures_last() -> None:
    results = [result(0, 0.5), result(1, 0.9), result(2, None, status="failed"), result(3, 0.7)]
    trials = leaderboard.trials(results, folds=1)
    best_first = leaderboard.ranked(trials, "maximize", by_rung=False)
    assert [t.candidate for t in best_first] == [1, 3, 0, 2]
    assert leaderboard.best(best_first) is best_first[0]
    assert [t.candidate for t in leaderboard.ranked(trials, "minimize", by_rung=False)] == [
        0, 3, 1, 2,
    ]  # fmt: skip
    assert leaderboard.best(leaderboard.ranked(trials[2:3], "maximize", by_rung=False)) is None


def test_a_cv_trial_is_the_mean_of_its_folds_once_all_have_finished() -> None:
    results = [result(0, 0.6, fold=0), result(0, 0.8, fold=1), result(1, 0.9, fold=0)]
    trials = leaderboard.trials(results, folds=2)
    assert len(trials) == 1  # candidate 1 still has a fold running
    assert abs((trials[0].objective or 0) - 0.7) < 1e-12
    assert trials[0].fold_objectives == [0.6, 0.8]
    assert trials[0].job_ids == ["job_c0r0f0", "job_c0r0f1"]
    failed = leaderboard.trials([*results, result(1, None, fold=1, status="failed")], folds=2)
    assert next(t for t in failed if t.candidate == 1).objective is None


def test_halving_ranks_later_rungs_first_and_promotes_the_best() -> None:
    results = [result(c, v) for c, v in [(0, 0.2), (1, 0.8), (2, 0.5), (3, 0.9)]]
    results += [result(3, 0.6, rung=1), result(1, 0.7, rung=1)]
    trials = leaderboard.trials(results, folds=1)
    ordered = leaderboard.ranked(trials, "maximize", by_rung=True)
    assert [(t.rung, t.candidate) for t in ordered[:2]] == [(1, 1), (1, 3)]
    first_rung = [t for t in trials if t.rung == 0]
    assert leaderboard.survivors(first_rung, "maximize", 2) == [3, 1]
