"""What a finished fit reports besides its weights: scores per split, convergence, warnings.

Scores are computed once, when the job succeeds, on the worker that trained it: ``train`` on
the rows it trained on, ``validation`` on the rows early stopping held out, ``test`` on the
job's ``test_dataset_id``, read from Redis only now. Each costs one chunked forward pass over
its rows (see engine.evaluation), a fraction of one training epoch. A dataset with sample
weights is scored with them, as scikit-learn's ``score(X, y, sample_weight)`` and metrics
weigh rows; such a split says so (``weighted: true``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from engine import FittedModel, Trainer
from engine.evaluation import Scores, model_codes, score
from store import JobRecord, Store
from store.datasets import class_table
from store.records import Label

T = TypeVar("T")


class Retrying(Protocol):
    """Runs a store call, retrying it through a Redis outage (worker.patience.patiently)."""

    def __call__(self, call: Callable[[], T]) -> T: ...


def convergence_warnings(
    converged: bool, max_iter: int, solver: str = "adam", iterations: int | None = None
) -> list[str]:
    """scikit-learn's ConvergenceWarning, word for word, when max_iter ended the fit (lbfgs:
    when L-BFGS stopped before its convergence test held, as ``_check_optimize_result``;
    scipy's status and message are the engine's to keep, so they are not repeated here)."""
    if converged:
        return []
    if solver != "lbfgs":
        return [
            f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached and the "
            "optimization hasn't converged yet."
        ]
    done = max_iter if iterations is None else min(iterations, max_iter)
    message = f"lbfgs failed to converge after {done} iteration(s)."
    if done == max_iter:
        message += (
            f" Increase the number of iterations to improve the convergence (max_iter={max_iter})."
        )
    else:
        message += " It stopped at max_fun loss evaluations or in its line search."
    return [message]


def targets_for(model: FittedModel, y: np.ndarray, classes: list[Label] | None) -> np.ndarray:
    """What the scores compare predictions with: codes into the model's classes, or target
    values. ``classes``: the table ``y`` holds codes into (None: ``y`` holds the values)."""
    if model.multilabel:
        return np.asarray(y)  # the 0/1 matrix itself: its columns are the model's labels
    if model.task == "classification":
        assert model.classes_ is not None
        return model_codes(model.classes_, y, classes)
    if classes is not None:
        return np.asarray(classes, dtype=np.float64)[np.asarray(y, dtype=np.int64)]
    return np.asarray(y, dtype=np.float64)


@dataclass(frozen=True)
class Outcome:
    """What a succeeded job reports besides its model."""

    evaluation: dict[str, Scores]
    converged: bool
    warnings: list[str]


def outcome_of(
    store: Store,
    job: JobRecord,
    trainer: Trainer,
    model: FittedModel,
    arrays: tuple[np.ndarray, ...],
    classes: list[Label] | None,
    patiently: Retrying,
) -> Outcome:
    """The finished fit's scores, convergence and warnings."""
    evaluation, warnings = evaluate(store, job, model, arrays, classes, trainer.split, patiently)
    converged, params = trainer.converged, trainer.params
    return Outcome(
        evaluation=evaluation,
        converged=converged,
        warnings=convergence_warnings(converged, params.max_iter, params.solver, trainer.epoch)
        + warnings,
    )


def evaluate(
    store: Store,
    job: JobRecord,
    model: FittedModel,
    arrays: tuple[np.ndarray, ...],
    classes: list[Label] | None,
    split: tuple[np.ndarray | None, np.ndarray | None],
    patiently: Retrying,
) -> tuple[dict[str, Scores], list[str]]:
    """The job's evaluation and the warnings it leaves (a test set that could not be scored).
    ``arrays``: (X, y), or (X, y, sample weights)."""
    X, y = arrays[0], arrays[1]
    weights = arrays[2] if len(arrays) > 2 else None
    train_rows, val_rows = split
    truth = targets_for(model, y, classes)
    evaluation = {"train": weighted_score(model, X, truth, train_rows, weights)}
    if val_rows is not None:
        evaluation["validation"] = weighted_score(model, X, truth, val_rows, weights)
    warnings: list[str] = []
    if job.test_dataset_id is not None:
        test_id = job.test_dataset_id
        test = patiently(lambda: _test_data(store, test_id))
        if test is None:
            warnings.append(f"test dataset {test_id} was deleted meanwhile: no test scores")
        else:
            X_test, y_test, test_classes, test_weights = test
            try:
                if X_test.shape[1] != model.n_features_in_:
                    raise ValueError(
                        f"it has {X_test.shape[1]} features, the model {model.n_features_in_}"
                    )
                truth = targets_for(model, y_test, test_classes)
                evaluation["test"] = weighted_score(model, X_test, truth, None, test_weights)
            except ValueError as error:
                warnings.append(f"test dataset {test_id} could not be scored: {error}")
    return evaluation, warnings


def weighted_score(
    model: FittedModel,
    X: np.ndarray,
    truth: np.ndarray,
    rows: np.ndarray | None,
    weights: np.ndarray | None,
) -> Scores:
    """The scores of ``X[rows]``, weighted by the rows' sample weights when there are any."""
    scores = score(model, X, truth, rows, weights)
    return scores if weights is None else {**scores, "weighted": True}


def _test_data(
    store: Store, dataset_id: str
) -> tuple[np.ndarray, np.ndarray, list[Label] | None, np.ndarray | None] | None:
    record = store.datasets.get(dataset_id)
    arrays = store.datasets.arrays(dataset_id) if record is not None else None
    if record is None or arrays is None:
        return None
    return arrays.X, arrays.y, class_table(record, arrays.y), arrays.w
