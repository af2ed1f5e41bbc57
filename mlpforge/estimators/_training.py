"""One call into the engine: build a Trainer, run it, and keep what the estimator reads back.

This is the seam between scikit-learn's calling conventions and the engine's API: everything
the estimators need from a fit (the model, this call's epochs, whether the stopping rule ended
it, how many rows trained) comes out of ``train`` as one ``Run``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from engine import EpochReport, FittedModel, MLPParams, Task, Trainer
from mlpforge.estimators._capabilities import trainer_takes


@dataclass(frozen=True)
class Run:
    model: FittedModel
    history: list[EpochReport]  # the epochs of this call only
    converged: bool  # the stopping rule ended it (False: max_iter did, or an interrupt)
    n_train: int  # rows trained per epoch (the data less the early-stopping hold-out)


def train(
    X: np.ndarray,
    y: np.ndarray,
    *,
    task: Task,
    params: MLPParams,
    dtype: np.dtype[Any],
    classes: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> Run:
    extra: dict[str, Any] = {}
    if sample_weight is not None and trainer_takes("sample_weight"):
        extra["sample_weight"] = sample_weight
    trainer = Trainer(X, y, task=task, params=params, dtype=dtype, classes=classes, **extra)
    try:
        model = trainer.run(on_epoch=on_epoch)
    except KeyboardInterrupt:
        # scikit-learn keeps the weights reached so far and warns, so a notebook user can stop
        # a long fit and still look at it
        warnings.warn("Training interrupted by user.", stacklevel=3)
        model = trainer.model()
    train_rows, _ = trainer.split
    n_train = X.shape[0] if train_rows is None else int(train_rows.shape[0])
    return Run(model, list(trainer.history), bool(trainer.converged), n_train)


def check_weights(sample_weight: Any, X: np.ndarray) -> tuple[np.ndarray | None, float]:
    """scikit-learn's checks of ``sample_weight``: (the weights for the engine, or None where an
    unweighted fit is the same; the factor to divide the penalties by).

    Until the engine weighs samples itself, equal weights ``c`` are still honored: scikit-learn
    normalizes the loss by the sum of the weights and the L2 penalty by that same sum, so they
    train exactly as no weights with ``alpha / c``.
    """
    weights = _check_sample_weight(sample_weight, X)
    if trainer_takes("sample_weight"):
        return weights, 1.0
    if np.all(weights == weights[0]) and weights[0] > 0:
        return None, float(weights[0])
    raise NotImplementedError(
        "sample_weight: unequal weights need the engine's sample weights, which this version "
        "does not have"
    )


def print_epoch(report: EpochReport) -> None:
    """``verbose``: scikit-learn's lines, word for word."""
    print(f"Iteration {report['epoch']}, loss = {report['loss']:.8f}")
    if report["val_score"] is not None:
        print(f"Validation score: {report['val_score']:f}")
