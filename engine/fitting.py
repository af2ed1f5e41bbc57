"""The one-call fits over a ``Trainer``: ``fit``, and scikit-learn's ``partial_fit`` (one epoch
over the data given, continuing the model given)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

from engine.errors import ParamError
from engine.model import FittedModel
from engine.params import MLPParams, Task
from engine.report import EpochReport
from engine.trainer import Trainer


def partial_fit(
    model: FittedModel | None,
    X: Any,
    y: Any,
    *,
    params: MLPParams | None = None,
    task: Task | None = None,
    classes: Any = None,
    sample_weight: Any = None,
    xp: ModuleType | None = None,
) -> FittedModel:
    """One epoch over ``X``, ``y``, starting from ``model`` (None: a new one).

    The first call needs ``params`` and ``task``; since one batch may lack some classes, a
    classifier's first call should pass ``classes`` (every label, sorted) with ``y`` holding
    indices into them. Later calls continue ``model``: its weights, the solver's state, the
    schedule, the stopping rule and ``t_`` carry over, as between scikit-learn's calls. As in
    scikit-learn, lbfgs and early stopping are refused.
    """
    chosen = params if params is not None else (None if model is None else model.params)
    if chosen is None or (model is None and task is None):
        raise ValueError("partial_fit: the first call needs params and task")
    if chosen.solver == "lbfgs":
        raise ParamError("solver", "partial_fit needs a stochastic solver, not 'lbfgs'")
    if chosen.early_stopping:
        raise ParamError("early_stopping", "partial_fit does not support early_stopping=True")
    one_epoch = replace(chosen, max_iter=1)
    if model is None:
        assert task is not None
        trainer = Trainer(
            X,
            y,
            task=task,
            params=one_epoch,
            classes=classes,
            sample_weight=sample_weight,
            xp=xp,
        )
    else:
        trainer = Trainer.from_model(
            model,
            X,
            y,
            params=one_epoch,
            classes=classes,
            sample_weight=sample_weight,
            xp=xp,
            keep_optimizer=True,
            keep_stopping=True,
        )
    return trainer.run()


def fit(
    X: Any,
    y: Any,
    *,
    task: Task,
    params: MLPParams,
    on_epoch: Callable[[EpochReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    xp: ModuleType | None = None,
    dtype: Any = None,
    sample_weight: Any = None,
) -> FittedModel:
    """Build a Trainer and run it."""
    trainer = Trainer(
        X, y, task=task, params=params, xp=xp, dtype=dtype, sample_weight=sample_weight
    )
    return trainer.run(on_epoch=on_epoch, should_stop=should_stop)
