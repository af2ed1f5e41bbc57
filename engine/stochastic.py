"""The stochastic solvers' fit: epochs until max_iter or scikit-learn's stopping rule.

After each epoch (engine/epochs.py): the validation scores (early stopping), the patience, the
learning-rate schedule, the best weights, the report. A diverging fit with early stopping ends on
its best epoch's weights; without early stopping it raises ``DivergenceError``.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from engine.epochs import Hooks, train_epoch
from engine.errors import DivergenceError, FitCancelled
from engine.metrics import accuracy, r2
from engine.optimizers import make_optimizer
from engine.report import EpochReport
from engine.xp import to_float, to_host

if TYPE_CHECKING:
    from engine.trainer import Trainer


def run_epochs(trainer: Trainer, hooks: Hooks) -> None:
    while not trainer._finished:
        if hooks.stop_requested():
            raise FitCancelled(trainer.epoch)
        started = time.perf_counter()
        try:
            loss, train_rmse = train_epoch(trainer, hooks)
            report = end_epoch(trainer, loss, train_rmse, started)
        except DivergenceError:
            if not stop_on_best_weights(trainer):
                raise
            return
        if hooks.on_epoch is not None:
            hooks.on_epoch(report)


def stop_on_best_weights(trainer: Trainer) -> bool:
    """Early stopping keeps the best epoch's weights: a diverging fit ends on them
    (scikit-learn, which trains on with NaN scores until its patience runs out, returns the
    same weights). Without early stopping there is nothing to fall back on."""
    if not (trainer.params.early_stopping and trainer._best_params is not None):
        return False
    trainer.net.params[...] = trainer._best_params
    # the solver's state went non-finite with the weights: a continued fit restarts it
    trainer.optimizer = make_optimizer(
        trainer.params, trainer.xp, trainer.layout.size, trainer.dtype, trainer.layout.n_weights
    )
    trainer._finished, trainer._mid_epoch, trainer.diverged = True, False, True
    return True


def end_epoch(
    trainer: Trainer, loss: float, train_rmse: float | None, started: float
) -> EpochReport:
    """scikit-learn's end of iteration: scores, patience, schedule, stopping rule."""
    epoch = trainer.epoch + 1
    val_loss, val_score = validate(trainer)
    improved, new_best = trainer.stopping.observe(epoch, loss, val_score)
    if new_best and trainer.params.restore_best_weights:
        if trainer._best_params is None:
            trainer._best_params = trainer.net.params.copy()
        else:
            trainer._best_params[...] = trainer.net.params
    lr_used = trainer.schedule.lr
    trainer.schedule.epoch_end(epoch, trainer._samples_seen, improved)
    finished = epoch >= trainer.max_epochs
    if trainer.stopping.exhausted:
        if trainer.schedule.should_stop():
            # Stopped by the rule, even on the last allowed epoch: scikit-learn breaks out
            # of its loop before it would warn that max_iter was reached.
            finished = trainer.converged = True
        else:
            trainer.stopping.reset_patience()
    if finished and trainer._best_params is not None:
        trainer.net.params[...] = trainer._best_params
    report = EpochReport(
        epoch=epoch,
        loss=float(loss),
        val_loss=val_loss,
        val_score=val_score,
        train_rmse=train_rmse,
        learning_rate=lr_used,
        seconds=time.perf_counter() - started,
    )
    trainer.history.append(report)
    trainer.epoch, trainer._finished, trainer._mid_epoch = epoch, finished, False
    return report


def validate(trainer: Trainer) -> tuple[float | None, float | None]:
    """Loss and score (accuracy, subset accuracy for multilabel, R^2 — weighted, as
    scikit-learn's) on the validation rows; (None, None) without early stopping."""
    data = trainer.data
    if data.X_val is None or data.Y_val is None or data.val_truth is None:
        return None, None
    loss_on_device, out = trainer.net.evaluate(data.X_val, data.Y_val, data.W_val)
    loss, out = to_float(loss_on_device), to_host(out)
    if not math.isfinite(loss) or not np.isfinite(out).all():
        raise DivergenceError(trainer.epoch + 1, "validation loss")
    weights = data.val_weights
    if trainer.task == "regression":
        return loss, r2(data.val_truth, out, sample_weight=weights)
    if data.multilabel:
        correct = ((out > 0.5) == data.val_truth.astype(bool)).all(axis=1)
        return loss, float(np.average(correct, weights=weights))
    pred = (out[:, 0] > 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
    return loss, accuracy(data.val_truth, pred, sample_weight=weights)
