"""solver="lbfgs": scikit-learn's L-BFGS, ``scipy.optimize.minimize(method="L-BFGS-B")`` over the
flat parameter vector in float64, with ``maxiter=max_iter``, ``maxfun=max_fun``, ``gtol=tol``.

An "epoch" is one L-BFGS iteration: ``on_epoch`` runs after each (scipy's callback), and
``should_stop`` is asked there, before every evaluation of the loss, and every ``every`` row
chunks inside one — an evaluation covers the whole data set, which may be long. ``FitCancelled``
(or a time limit's exception) propagates out of scipy untouched.

The loss and gradient are summed over row chunks of bounded size (the full batch of a large
data set never sits in memory as activations); the data stay on the device, and each evaluation
moves the parameters there and the gradient back (scipy runs on the host).

Resume rule: L-BFGS keeps its curvature pairs inside scipy, so a checkpoint holds the last
iterate, the iterations and evaluations done; a resumed fit restarts L-BFGS from that iterate
with what is left of ``max_iter`` and ``max_fun``. Its result is a minimizer of the same loss
but, unlike adam's or sgd's, not bit-identical to the uninterrupted fit's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.epochs import Hooks
from engine.errors import DivergenceError, FitCancelled
from engine.report import EpochReport
from engine.residuals import SquaredResiduals
from engine.xp import to_float, to_host

if TYPE_CHECKING:
    from engine.trainer import Trainer

CHUNK_ELEMENTS = 1 << 22  # rows per chunk x widest layer (16 MiB of float32 per buffer)


def chunk_rows(n_train: int, widest: int) -> int:
    return max(1, min(n_train, CHUNK_ELEMENTS // max(1, widest)))


class FullBatchLoss:
    """f(x) and its gradient over every training row: scikit-learn's ``_loss_grad_lbfgs``."""

    def __init__(self, trainer: Trainer, hooks: Hooks) -> None:
        self.trainer, self.hooks = trainer, hooks
        data, xp = trainer.data, trainer.xp
        weights = data.W_train
        self.norm: Any = data.n_train if weights is None else weights.sum(dtype=np.float64)
        self.gradient = xp.empty_like(trainer.net.params)
        self.last_x: np.ndarray | None = None
        self.last_rmse: float | None = None
        self.last_progress = time.monotonic()

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        trainer, hooks = self.trainer, self.hooks
        if hooks.stop_requested():
            raise FitCancelled(trainer.epoch)
        xp, net, data = trainer.xp, trainer.net, trainer.data
        net.params[...] = xp.asarray(x.astype(trainer.dtype))
        rows = net.acts[0].shape[0]
        residuals = None
        if trainer.task == "regression":
            residuals = SquaredResiduals(xp, data.y_scale, data.n_outputs)
        total: Any = 0.0
        for i, start in enumerate(range(0, data.n_train, rows)):
            if i and i % hooks.every == 0:
                self._between_chunks()
            stop = min(start + rows, data.n_train)
            weights = None if data.W_train is None else data.W_train[start:stop]
            yb = data.Y_train[start:stop]
            loss = net.train_batch(
                data.X_train.span(start, stop, trainer._xbuf),
                yb,
                None,
                weights,
                norm=self.norm,
                penalties=False,
            )
            if i == 0:
                self.gradient[...] = net.grads
            else:
                self.gradient += net.grads
            total = total + loss
            if residuals is not None:
                residuals.add(net.outputs(stop - start), yb)
        total = total + net.add_penalties(self.norm, self.gradient)
        trainer._evaluations += 1
        self.last_x = x.copy()  # scipy updates its x in place
        self.last_rmse = None if residuals is None else residuals.rmse(data.n_train)
        return to_float(total), to_host(self.gradient).astype(np.float64)

    def rmse_at(self, x: np.ndarray) -> float | None:
        """The training RMSE of the last evaluation, if it was at ``x`` (regression)."""
        same = self.last_x is not None and np.array_equal(self.last_x, x)
        return self.last_rmse if same else None

    def _between_chunks(self) -> None:
        hooks = self.hooks
        if hooks.stop_requested():
            raise FitCancelled(self.trainer.epoch)
        due = time.monotonic() - self.last_progress >= hooks.progress_every_secs
        if hooks.on_progress is not None and due:
            hooks.on_progress()  # checkpoint() holds the last iterate: a valid resume point
            self.last_progress = time.monotonic()


def run_lbfgs(trainer: Trainer, hooks: Hooks) -> None:
    """Minimize from the current weights; leaves the final iterate in ``trainer.net.params``."""
    import scipy.optimize

    params = trainer.params
    max_iter = params.max_iter - trainer.epoch
    max_fun = params.max_fun - trainer._evaluations
    if max_iter <= 0 or max_fun <= 0:
        trainer._finished = True
        return
    loss = FullBatchLoss(trainer, hooks)
    started = [time.perf_counter()]

    def callback(intermediate_result: Any) -> None:
        x = np.array(intermediate_result.x, dtype=np.float64)
        trainer._iterate = x
        trainer.epoch += 1
        report = EpochReport(
            epoch=trainer.epoch,
            loss=float(intermediate_result.fun),
            val_loss=None,
            val_score=None,
            train_rmse=loss.rmse_at(x),
            learning_rate=None,
            seconds=time.perf_counter() - started[0],
        )
        trainer.history.append(report)  # (t_ stays put: scikit-learn counts it for sgd/adam)
        if trainer.epoch >= params.max_iter:
            trainer._finished = True
        if hooks.on_epoch is not None:
            hooks.on_epoch(report)
        if hooks.stop_requested():
            raise FitCancelled(trainer.epoch)
        started[0] = time.perf_counter()

    x0 = trainer._iterate
    if x0 is None:
        x0 = to_host(trainer.net.params).astype(np.float64)
    try:
        result = scipy.optimize.minimize(
            loss,
            x0,
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": params.tol},
        )
    finally:
        # the last evaluation may have been a rejected trial point: keep the last iterate
        if trainer._iterate is not None:
            trainer.net.params[...] = trainer.xp.asarray(trainer._iterate.astype(trainer.dtype))
    if not np.isfinite(result.x).all() or not np.isfinite(result.fun):
        raise DivergenceError(trainer.epoch + 1, "weights" if np.isfinite(result.fun) else "loss")
    trainer._iterate = np.array(result.x, dtype=np.float64)
    trainer.net.params[...] = trainer.xp.asarray(result.x.astype(trainer.dtype))
    # scikit-learn's _check_optimize_result: anything but status 0 is a ConvergenceWarning
    trainer.converged = result.status == 0
    trainer._finished = True
