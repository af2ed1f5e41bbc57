"""A cross-validated search trial trains on its folds' rows and is scored on the held-out
fold (mlpforge.search.folds), the engine knowing nothing of it.

The rows are chosen by index from the dataset the worker already holds: nothing is stored
twice in Redis. The training rows are one copy of (k-1)/k of the data in the worker's memory
while the trial trains — a copy the engine's own preparation makes of the data anyway. The
split is a pure function of the fold's seed, so a resumed attempt trains on the same rows (the
checkpoint's data check holds).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar, cast

import numpy as np

from engine import FittedModel
from engine.evaluation import score
from mlpforge.search import folds
from store import JobRecord
from store.records import Label
from worker.evaluation import Outcome, targets_for


@dataclass(frozen=True)
class HeldOut:
    """The rows a cv trial is scored on: X, y and the class table y holds codes into."""

    X: np.ndarray
    y: np.ndarray
    classes: list[Label] | None


def _strata(job: JobRecord, y: np.ndarray, classes: list[Label] | None) -> np.ndarray | None:
    """What a classification trial's folds are stratified by: each row's class."""
    if job.task != "classification" or y.ndim != 1:
        return None
    if classes is not None:
        return np.asarray(y)
    return np.unique(y, return_inverse=True)[1]


Arrays = TypeVar("Arrays", bound=tuple[np.ndarray, ...])


def training_rows(
    job: JobRecord, arrays: Arrays, classes: list[Label] | None
) -> tuple[Arrays, HeldOut | None]:
    """The arrays a job trains on (every row, unless it is a cv trial) and its held-out fold.
    Any per-row array beside X and y (weights) is split with them; None stays None."""
    if job.fold is None:
        return arrays, None
    X, y = arrays[0], arrays[1]
    train, held = folds.split(
        X.shape[0], job.fold.k, job.fold.index, job.fold.seed, _strata(job, y, classes)
    )
    rows = cast(Arrays, tuple(None if a is None else a[train] for a in arrays))
    return rows, HeldOut(X[held], y[held], classes)


def with_held_out(outcome: Outcome, model: FittedModel, held_out: HeldOut | None) -> Outcome:
    """The outcome, with the model's scores on the held-out fold (``evaluation.held_out``)."""
    if held_out is None:
        return outcome
    truth = targets_for(model, held_out.y, held_out.classes)
    evaluation = {**outcome.evaluation, "held_out": score(model, held_out.X, truth, None)}
    return replace(outcome, evaluation=evaluation)
