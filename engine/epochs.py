"""One epoch of mini-batch training (every solver but lbfgs), without a host read per batch.

Each batch's loss stays a 0-d array on the device and is summed there; the epoch's sum is read
once, at its end, with the check that the weights are still finite. On a GPU that is one sync
per epoch instead of one per batch (tests/engine/test_backends.py counts them). The stop check
and the progress hook run every ``every`` batches and read nothing from the device, except
when ``on_progress`` takes a mid-epoch checkpoint.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import DivergenceError, FitCancelled
from engine.residuals import SquaredResiduals
from engine.xp import take_rows, to_float, to_host

if TYPE_CHECKING:
    from engine.trainer import Trainer


@dataclass(frozen=True)
class Hooks:
    """The caller's callbacks (see ``Trainer.run``)."""

    on_epoch: Callable[[Any], None] | None = None
    should_stop: Callable[[], bool] | None = None
    every: int = 8
    on_progress: Callable[[], None] | None = None
    progress_every_secs: float = 60.0

    def stop_requested(self) -> bool:
        return self.should_stop is not None and self.should_stop()


@dataclass(frozen=True)
class EpochPosition:
    """How far an unfinished epoch got: the rest of it is replayed from here."""

    order: np.ndarray | None
    next_start: int
    total: float
    squared_residuals: list[float] | None = None  # regression: see SquaredResiduals


def train_epoch(trainer: Trainer, hooks: Hooks) -> tuple[float, float | None]:
    """The epoch's mean loss, and its training RMSE in target units (regression)."""
    xp, net, data = trainer.xp, trainer.net, trainer.data
    n, batch = data.n_train, trainer.params.batch_size
    assert isinstance(batch, int)
    trainer._mid_epoch = True
    resumed, trainer._position = trainer._position, None
    # numpy's batch losses are host values already: summing them as Python floats saves a
    # microsecond per batch; on a device the sum stays there (the same float64 additions)
    on_host = xp is np
    if resumed is not None:  # continue the epoch a mid-epoch checkpoint stopped in
        order = None if resumed.order is None else xp.asarray(resumed.order)
        first, total = resumed.next_start, resumed.total
    else:
        order = xp.asarray(trainer._rng.permutation(n)) if trainer.params.shuffle else None
        first, total = 0, 0.0
    if not on_host:
        total = xp.asarray(total, dtype=np.float64)
    residuals = None
    if trainer.task == "regression":
        sums = None if resumed is None else resumed.squared_residuals
        residuals = SquaredResiduals(xp, data.y_scale, data.n_outputs, sums)
    lr, clip = trainer.schedule.lr, trainer.params.clip_grad_norm
    rng = trainer._rng if trainer.params.dropout else None
    weights, wbuf = data.W_train, trainer._wbuf
    last_progress = time.monotonic()
    for i, start in enumerate(range(first, n, batch)):
        if i and i % hooks.every == 0:
            if hooks.stop_requested():
                raise FitCancelled(trainer.epoch)
            if (
                hooks.on_progress is not None
                and time.monotonic() - last_progress >= hooks.progress_every_secs
            ):
                so_far = to_float(total)  # read anyway for the checkpoint: check it too
                if not math.isfinite(so_far):
                    raise DivergenceError(trainer.epoch + 1, "loss")
                trainer._position = EpochPosition(
                    None if order is None else to_host(order),
                    start,
                    so_far,
                    None if residuals is None else residuals.sums(),
                )
                try:
                    hooks.on_progress()
                finally:
                    trainer._position = None
                last_progress = time.monotonic()
        stop = min(start + batch, n)
        rows = stop - start
        wb = None
        if order is None:
            xb = data.X_train.span(start, stop, trainer._xbuf)
            yb = data.Y_train[start:stop]
            if weights is not None:
                wb = weights[start:stop]
        else:
            idx = order[start:stop]
            xb = data.X_train.take(idx, trainer._xbuf)
            yb = take_rows(xp, data.Y_train, idx, trainer._ybuf[:rows])
            if weights is not None and wbuf is not None:
                wb = take_rows(xp, weights, idx, wbuf[:rows])
        loss = net.train_batch(xb, yb, rng, wb)
        total += (float(loss) if on_host else loss) * rows
        if residuals is not None:
            residuals.add(net.outputs(rows), yb)
        if clip is not None:
            net.clip_gradient(clip)
        trainer.optimizer.step(net.params, net.grads, lr)
    # One read for the epoch: its loss sum and whether every weight is still finite.
    finite = xp.isfinite(net.params).all()
    summary = to_host(xp.stack([xp.asarray(total, dtype=np.float64), finite.astype(np.float64)]))
    mean_loss = float(summary[0]) / n
    if not math.isfinite(mean_loss):
        raise DivergenceError(trainer.epoch + 1, "loss")
    if not summary[1]:
        raise DivergenceError(trainer.epoch + 1, "weights")
    trainer._samples_seen += n
    return mean_loss, None if residuals is None else residuals.rmse(n)


def position_from(
    arrays: dict[str, np.ndarray], doc: dict[str, Any], n_train: int
) -> EpochPosition:
    """The position a mid-epoch checkpoint recorded, checked against the data."""
    next_start, total = int(doc["next_start"]), float(doc["total"])
    if not 0 < next_start < n_train or not math.isfinite(total):
        raise ValueError(f"position {next_start} outside the epoch of {n_train} rows")
    order = arrays.get("position.order")
    if order is not None and (
        order.shape != (n_train,) or not np.array_equal(np.sort(order), np.arange(n_train))
    ):
        raise ValueError("position.order is not a permutation of the training rows")
    sums = doc.get("squared_residuals")
    squared = None if sums is None else [float(v) for v in sums]
    return EpochPosition(order, next_start, total, squared)
