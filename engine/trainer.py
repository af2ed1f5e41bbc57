"""The training loop: mini-batches, stopping rules, callbacks, cancellation and checkpoints.

Randomness comes from one seed (``random_state``, or fresh entropy kept in the checkpoint) split
into three independent streams: the validation split, the initial weights, and training
(shuffling, dropout). The training stream's state is saved at every epoch boundary, so a fit
resumed from the checkpoint of epoch k ends bit-identical to the uninterrupted fit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from engine.architecture import ParameterLayout, layer_shapes, output_activation_for
from engine.checkpoint import WHAT, check_same_data, dump_checkpoint, load_checkpoint
from engine.container import check_array, encode_classes
from engine.dataset import PreparedData, prepare
from engine.errors import DivergenceError, EngineError, FitCancelled, ModelFormatError
from engine.initializers import initial_parameters
from engine.losses import make_head
from engine.metrics import r2
from engine.model import FittedModel
from engine.network import Network
from engine.optimizers import make_optimizer
from engine.params import MLPParams, Task
from engine.report import EpochReport, history_from_json
from engine.residuals import SquaredResiduals
from engine.schedules import LearningRateSchedule
from engine.stopping import StoppingRule
from engine.validation import check_task
from engine.xp import resolve_xp, take_rows, to_host

__all__ = ["EpochReport", "Trainer", "fit"]


class Trainer:
    """One fit, epoch by epoch. Build it (nothing trained yet), then ``run()``."""

    epoch: int
    history: list[EpochReport]
    params: MLPParams
    max_epochs: int

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        task: Task,
        params: MLPParams,
        xp: ModuleType | None = None,
        dtype: Any = np.float32,
        classes: Any = None,
    ) -> None:
        """``classes``: the sorted labels ``y`` holds indices into (None: ``y`` holds the
        target values)."""
        self._prepare(X, y, task, params, xp, dtype, entropy=None, classes=classes)

    @classmethod
    def resume(
        cls,
        X: Any,
        y: Any,
        checkpoint: bytes,
        *,
        xp: ModuleType | None = None,
        classes: Any = None,
    ) -> Trainer:
        """Rebuild a trainer from ``checkpoint()`` bytes and the same training data."""
        arrays, doc = load_checkpoint(checkpoint)
        try:
            params = MLPParams.from_dict(doc["params"])
            task, dtype, entropy = doc["task"], np.dtype(doc["dtype"]), int(doc["seed_entropy"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{WHAT}: bad metadata ({exc})") from exc
        self = cls.__new__(cls)
        self._prepare(X, y, task, params, xp, dtype, entropy=entropy, classes=classes)
        self._load_state(arrays, doc)
        return self

    # -- set-up -------------------------------------------------------------------------------

    def _prepare(
        self,
        X: Any,
        y: Any,
        task: Any,
        params: MLPParams,
        xp: ModuleType | None,
        dtype: Any,
        *,
        entropy: int | None,
        classes: Any = None,
    ) -> None:
        if not isinstance(params, MLPParams):
            raise TypeError(f"params: expected MLPParams, got {type(params).__name__}")
        self.task = check_task(task)
        self.xp = resolve_xp(xp)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype: must be float32 or float64, got {self.dtype}")
        n_samples = int(np.shape(X)[0]) if np.ndim(X) >= 1 else 0
        self.params = params.resolve(self.task, max(n_samples, 1))
        self.max_epochs = self.params.max_iter
        if entropy is None:
            seed = self.params.random_state
            entropy = int(np.random.SeedSequence(seed).entropy)  # type: ignore[arg-type]
        self._entropy = entropy
        split_seed, init_seed, train_seed = np.random.SeedSequence(entropy).spawn(3)

        self.data: PreparedData = prepare(
            X,
            y,
            self.task,
            self.params,
            np.random.default_rng(split_seed),
            self.xp,
            self.dtype,
            classes,
        )
        shapes = layer_shapes(
            self.data.n_features, self.params.hidden_layer_sizes, self.data.n_outputs
        )
        self.layout = ParameterLayout(tuple(shapes))
        self.output_activation = output_activation_for(self.task, self.data.n_outputs)
        p = self.params
        assert isinstance(p.batch_size, int) and p.loss is not None
        self.net = Network(
            self.xp,
            self.layout,
            p.activation,
            make_head(p.loss, self.output_activation),
            self.dtype,
            p.batch_size,
            alpha=p.alpha,
            l1=p.l1,
            dropout=p.dropout,
        )
        init = initial_parameters(self.layout, p.activation, np.random.default_rng(init_seed))
        self.net.params[...] = self.xp.asarray(init.astype(self.dtype))
        self.optimizer = make_optimizer(
            p, self.xp, self.layout.size, self.dtype, self.layout.n_weights
        )
        self.schedule = LearningRateSchedule(p)
        self._rng = np.random.default_rng(train_seed)
        self._xbuf = self.xp.empty((p.batch_size, self.data.n_features), dtype=self.dtype)
        self._ybuf = self.xp.empty((p.batch_size, self.data.Y_train.shape[1]), dtype=self.dtype)

        self.stopping = StoppingRule(p.tol, p.n_iter_no_change)
        # True once the stopping rule ended the fit; False while it runs, and when max_iter
        # ended it (scikit-learn's ConvergenceWarning).
        self.converged = False
        self.epoch = 0
        self.history = []
        self._samples_seen = 0
        self._best_params: Any = None
        self._finished = False
        self._mid_epoch = False
        # Where an unfinished epoch stands: its order, the next batch's first row, the loss
        # summed so far. Set while `on_progress` runs (so `checkpoint()` can record it) and
        # after resuming from such a checkpoint (so the epoch continues where it stopped).
        self._position: EpochPosition | None = None

    # -- training -----------------------------------------------------------------------------

    def run(
        self,
        *,
        on_epoch: Callable[[EpochReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        stop_check_every: int = 8,
        on_progress: Callable[[], None] | None = None,
        progress_every_secs: float = 60.0,
    ) -> FittedModel:
        """Train until max_iter or the stopping rule; return the fitted model.

        ``on_epoch(report)`` runs after every finished epoch, when ``checkpoint()`` reflects
        exactly that epoch. ``should_stop()`` is consulted every ``stop_check_every`` batches and
        between epochs; True raises ``FitCancelled``. ``on_progress()`` runs inside long epochs,
        at those same batch boundaries, once ``progress_every_secs`` have passed since the last
        epoch end or progress call; ``checkpoint()`` taken there resumes mid-epoch, exactly.
        """
        if stop_check_every < 1:
            raise ValueError(f"stop_check_every: must be at least 1, got {stop_check_every}")
        if progress_every_secs <= 0:
            raise ValueError(f"progress_every_secs: must be > 0, got {progress_every_secs}")
        self._on_progress, self._progress_every = on_progress, progress_every_secs
        with np.errstate(all="ignore"):  # divergence is detected explicitly below
            while not self._finished:
                if should_stop is not None and should_stop():
                    raise FitCancelled(self.epoch)
                started = time.perf_counter()
                loss, train_rmse = self._train_epoch(should_stop, stop_check_every)
                report = self._end_epoch(loss, train_rmse, started)
                if on_epoch is not None:
                    on_epoch(report)
        return self.model()

    def _train_epoch(
        self, should_stop: Callable[[], bool] | None, every: int
    ) -> tuple[float, float | None]:
        """The epoch's mean loss, and its training RMSE in target units (regression)."""
        xp, net, data = self.xp, self.net, self.data
        n, batch = data.n_train, self.params.batch_size
        assert isinstance(batch, int)
        self._mid_epoch = True
        resumed, self._position = self._position, None
        if resumed is not None:  # continue the epoch a mid-epoch checkpoint stopped in
            order = None if resumed.order is None else xp.asarray(resumed.order)
            first, total = resumed.next_start, resumed.total
        else:
            order = xp.asarray(self._rng.permutation(n)) if self.params.shuffle else None
            first, total = 0, 0.0
        residuals = None
        if self.task == "regression":
            sums = None if resumed is None else resumed.squared_residuals
            residuals = SquaredResiduals(xp, data.y_scale, data.n_outputs, sums)
        lr, clip = self.schedule.lr, self.params.clip_grad_norm
        rng = self._rng if self.params.dropout else None
        last_progress = time.monotonic()
        for i, start in enumerate(range(first, n, batch)):
            if i and i % every == 0:
                if should_stop is not None and should_stop():
                    raise FitCancelled(self.epoch)
                if (
                    self._on_progress is not None
                    and time.monotonic() - last_progress >= self._progress_every
                ):
                    self._position = EpochPosition(
                        None if order is None else to_host(order),
                        start,
                        total,
                        None if residuals is None else residuals.sums(),
                    )
                    try:
                        self._on_progress()
                    finally:
                        self._position = None
                    last_progress = time.monotonic()
            stop = min(start + batch, n)
            rows = stop - start
            if order is None:
                xb, yb = data.X_train[start:stop], data.Y_train[start:stop]
            else:
                idx = order[start:stop]
                xb = take_rows(xp, data.X_train, idx, self._xbuf[:rows])
                yb = take_rows(xp, data.Y_train, idx, self._ybuf[:rows])
            loss = net.train_batch(xb, yb, rng)
            if not math.isfinite(loss):
                raise DivergenceError(self.epoch + 1, "loss")
            total += loss * rows
            if residuals is not None:
                residuals.add(net.outputs(rows), yb)
            if clip is not None:
                net.clip_gradient(clip)
            self.optimizer.step(net.params, net.grads, lr)
        if not bool(xp.isfinite(net.params).all()):
            raise DivergenceError(self.epoch + 1, "weights")
        self._samples_seen += n
        return total / n, None if residuals is None else residuals.rmse(n)

    def _end_epoch(self, loss: float, train_rmse: float | None, started: float) -> EpochReport:
        """scikit-learn's end of iteration: scores, patience, schedule, stopping rule."""
        epoch = self.epoch + 1
        val_loss, val_score = self._validate()
        improved, new_best = self.stopping.observe(epoch, loss, val_score)
        if new_best and self.params.restore_best_weights:
            self._keep_best()
        lr_used = self.schedule.lr
        self.schedule.epoch_end(epoch, self._samples_seen, improved)
        finished = epoch >= self.max_epochs
        if self.stopping.exhausted:
            if self.schedule.should_stop():
                # Stopped by the rule, even on the last allowed epoch: scikit-learn breaks out
                # of its loop before it would warn that max_iter was reached.
                finished = self.converged = True
            else:
                self.stopping.reset_patience()
        if finished and self._best_params is not None:
            self.net.params[...] = self._best_params
        report = EpochReport(
            epoch=epoch,
            loss=float(loss),
            val_loss=val_loss,
            val_score=val_score,
            train_rmse=train_rmse,
            learning_rate=lr_used,
            seconds=time.perf_counter() - started,
        )
        self.history.append(report)
        self.epoch, self._finished, self._mid_epoch = epoch, finished, False
        return report

    def _keep_best(self) -> None:
        if self._best_params is None:
            self._best_params = self.net.params.copy()
        else:
            self._best_params[...] = self.net.params

    def _validate(self) -> tuple[float | None, float | None]:
        data = self.data
        if data.X_val is None or data.Y_val is None or data.val_truth is None:
            return None, None
        loss, out = self.net.evaluate(data.X_val, data.Y_val)
        out = to_host(out)
        if self.task == "classification":
            pred = (out[:, 0] > 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
            score = float(np.mean(pred == data.val_truth))
        else:
            score = r2(data.val_truth, out)
        if not math.isfinite(loss):
            raise DivergenceError(self.epoch + 1, "validation loss")
        return float(loss), score

    # -- results ------------------------------------------------------------------------------

    @property
    def split(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(training rows, validation rows) of the data, as sorted indices; (None, None)
        without early stopping, when every row trains."""
        return self.data.train_rows, self.data.val_rows

    def model(self) -> FittedModel:
        """The model with the current weights (the restored best ones once finished)."""
        data = self.data
        layers = [(to_host(w).copy(), to_host(b).copy()) for w, b in self.net.layers()]
        return FittedModel(
            task=self.task,
            layers=layers,
            activation=self.params.activation,
            output_activation=self.output_activation,
            params=self.params,
            classes=data.classes,
            x_mean=data.x_mean,
            x_scale=data.x_scale,
            y_mean=data.y_mean,
            y_scale=data.y_scale,
            history=list(self.history),
            best_epoch=self.stopping.best_epoch if self.params.restore_best_weights else None,
        )

    # -- checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> bytes:
        """Everything needed to continue this fit bit-identically, as one safetensors blob."""
        if self._mid_epoch and self._position is None:
            raise EngineError(
                "checkpoint: the trainer stopped inside an epoch; use the last "
                "checkpoint taken from on_epoch"
            )
        opt_arrays, opt_scalars = self.optimizer.state()
        arrays = {"params": to_host(self.net.params)}
        arrays.update({f"optimizer.{k}": to_host(v) for k, v in opt_arrays.items()})
        if self._best_params is not None:
            arrays["best_params"] = to_host(self._best_params)
        for name in ("x_mean", "x_scale", "y_mean", "y_scale"):
            value = getattr(self.data, name)
            if value is not None:
                arrays[name] = value
        state = {
            "task": self.task,
            "dtype": str(self.dtype),
            "params": self.params.to_dict(),
            "seed_entropy": self._entropy,
            "n_samples": self.data.n_samples,
            "n_features": self.data.n_features,
            "n_outputs": self.data.n_outputs,
            "classes": encode_classes(self.data.classes),
            "epoch": self.epoch,
            "samples_seen": self._samples_seen,
            "history": list(self.history),
            "rng": self._rng.bit_generator.state,
            "optimizer": opt_scalars,
            "schedule": self.schedule.state(),
            "stopping": self.stopping.state(),
            "finished": self._finished,
            "converged": self.converged,
        }
        if self._position is not None:
            state["position"] = {
                "next_start": self._position.next_start,
                "total": self._position.total,
                "squared_residuals": self._position.squared_residuals,
            }
            if self._position.order is not None:
                arrays["position.order"] = self._position.order.astype(np.int64)
        return dump_checkpoint(arrays, state)

    def _load_state(self, arrays: dict[str, np.ndarray], doc: dict[str, Any]) -> None:
        check_same_data(arrays, doc, self.data, self.dtype)
        size = (self.layout.size,)

        def array(name: str) -> Any:
            return self.xp.asarray(check_array(arrays, name, size, self.dtype, WHAT))

        try:
            self.net.params[...] = array("params")
            opt_arrays = {s: array(f"optimizer.{s}") for s in self.optimizer.slots}
            self.optimizer.load_state(opt_arrays, doc["optimizer"])
            if "best_params" in arrays:
                self._best_params = array("best_params")
            self.schedule.load_state(doc["schedule"])
            self.stopping.load_state(doc["stopping"])
            self._rng.bit_generator.state = doc["rng"]
            self.epoch = int(doc["epoch"])
            self._samples_seen = int(doc["samples_seen"])
            self.history = history_from_json(doc["history"])
            self._finished = bool(doc["finished"])
            self.converged = bool(doc.get("converged", False))  # older checkpoints lack it
            if "position" in doc:
                self._position = _position_from(arrays, doc["position"], self.data.n_train)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{WHAT}: bad state ({exc})") from exc


@dataclass(frozen=True)
class EpochPosition:
    """How far an unfinished epoch got: the rest of it is replayed from here."""

    order: np.ndarray | None
    next_start: int
    total: float
    squared_residuals: list[float] | None = None  # regression: see SquaredResiduals


def _position_from(
    arrays: dict[str, np.ndarray], doc: dict[str, Any], n_train: int
) -> EpochPosition:
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


def fit(
    X: Any,
    y: Any,
    *,
    task: Task,
    params: MLPParams,
    on_epoch: Callable[[EpochReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    xp: ModuleType | None = None,
    dtype: Any = np.float32,
) -> FittedModel:
    """Build a Trainer and run it."""
    trainer = Trainer(X, y, task=task, params=params, xp=xp, dtype=dtype)
    return trainer.run(on_epoch=on_epoch, should_stop=should_stop)
