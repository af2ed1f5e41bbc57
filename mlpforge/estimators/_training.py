"""One call into the engine: build a Trainer (afresh, or continuing a model), run it, and keep
what the estimator reads back.

This is the seam between scikit-learn's calling conventions and the engine's API: everything
the estimators need from a fit (the model, this call's epochs, whether the stopping rule ended
it) comes out of ``train`` as one ``Run``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine import EpochReport, FittedModel, MLPParams, Task, Trainer


@dataclass(frozen=True)
class Run:
    model: FittedModel
    history: list[EpochReport]  # the epochs (lbfgs: iterations) of this call only
    converged: bool  # the stopping rule ended it (False: max_iter did, or an interrupt)


def train(
    X: np.ndarray,
    y: np.ndarray,
    *,
    task: Task,
    params: MLPParams,
    classes: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    start: FittedModel | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> Run:
    """``start``: the model to continue (its weights, standardization, solver state and
    stopping rule, as scikit-learn's ``warm_start`` and ``partial_fit`` carry them)."""
    trainer = (
        Trainer(X, y, task=task, params=params, classes=classes, sample_weight=sample_weight)
        if start is None
        else Trainer.from_model(
            start,
            X,
            y,
            params=params,
            classes=classes,
            sample_weight=sample_weight,
            keep_stopping=True,
        )
    )
    try:
        model = trainer.run(on_epoch=on_epoch)
    except KeyboardInterrupt:
        # scikit-learn keeps the weights reached so far and warns, so a notebook user can stop
        # a long fit and still look at it
        warnings.warn("Training interrupted by user.", stacklevel=3)
        model = trainer.model()
    return Run(model, list(trainer.history), bool(trainer.converged))


def print_epoch(report: EpochReport) -> None:
    """``verbose``: scikit-learn's lines, word for word."""
    print(f"Iteration {report['epoch']}, loss = {report['loss']:.8f}")
    if report["val_score"] is not None:
        print(f"Validation score: {report['val_score']:f}")
