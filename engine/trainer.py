"""The training loop: solvers, stopping rules, callbacks, cancellation, checkpoints.

Randomness comes from one seed (``random_state``, or fresh entropy kept in the checkpoint) split
into three independent streams: the validation split, the initial weights, and training
(shuffling, dropout). The training stream's state is saved at every epoch boundary, so a fit
resumed from the checkpoint of epoch k ends bit-identical to the uninterrupted fit (lbfgs: see
engine/lbfgs.py). Mini-batch epochs are engine/epochs.py, L-BFGS engine/lbfgs.py, the checkpoint
format engine/checkpoint.py, continuing a model engine/continuation.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

import numpy as np

from engine import checkpoint as checkpoints
from engine.architecture import ParameterLayout, layer_shapes
from engine.continuation import carry_over, continued_params, encoding
from engine.dataset import Encoding, PreparedData, prepare
from engine.epochs import EpochPosition, Hooks
from engine.initializers import initial_parameters
from engine.lbfgs import chunk_rows, run_lbfgs
from engine.losses import make_head, output_activation_for_loss
from engine.model import FittedModel
from engine.network import Network
from engine.optimizers import make_optimizer
from engine.params import MLPParams, Task
from engine.preprocessing import column_stats
from engine.report import EpochReport
from engine.results import model_of
from engine.schedules import LearningRateSchedule
from engine.stochastic import run_epochs
from engine.stopping import StoppingRule
from engine.validation import check_features, check_task
from engine.xp import resolve_xp

__all__ = ["EpochReport", "Trainer"]


class Trainer:
    """One fit, epoch by epoch. Build it (nothing trained yet), then ``run()``.

    ``Trainer(X, y, ...)`` starts a fit; ``Trainer.resume(X, y, checkpoint)`` continues an
    interrupted one; ``Trainer.from_model(model, X, y)`` continues training a fitted model
    (scikit-learn's warm_start and partial_fit; see engine/continuation.py).
    """

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
        dtype: Any = None,
        classes: Any = None,
        sample_weight: Any = None,
    ) -> None:
        """``classes``: the sorted labels ``y`` holds indices into (None: ``y`` holds the
        target values). ``dtype``: overrides ``params.dtype`` (kept for older callers).
        ``sample_weight``: one weight per row, scikit-learn's semantics."""
        if isinstance(params, MLPParams) and dtype is not None:
            params = replace(params, dtype=np.dtype(dtype).name)  # type: ignore[arg-type]
        self._setup(X, y, task, params, xp, None, classes, sample_weight, None)

    @classmethod
    def resume(
        cls,
        X: Any,
        y: Any,
        checkpoint: bytes,
        *,
        xp: ModuleType | None = None,
        classes: Any = None,
        sample_weight: Any = None,
    ) -> Trainer:
        """Rebuild a trainer from ``checkpoint()`` bytes and the same training data."""
        arrays, doc, setup = checkpoints.read_checkpoint(checkpoint)
        params = replace(setup.params, dtype=setup.dtype.name)  # type: ignore[arg-type]
        self = cls.__new__(cls)
        self._setup(X, y, setup.task, params, xp, setup.entropy, classes, sample_weight, setup.keep)
        checkpoints.restore(self, arrays, doc)
        return self

    @classmethod
    def from_model(
        cls,
        model: FittedModel,
        X: Any,
        y: Any,
        *,
        params: MLPParams | None = None,
        xp: ModuleType | None = None,
        classes: Any = None,
        sample_weight: Any = None,
        keep_optimizer: bool = True,
        keep_stopping: bool = False,
    ) -> Trainer:
        """A fit that starts from ``model``: its weights, classes, standardization and (unless
        ``keep_optimizer`` is False) its solver's state. ``params`` defaults to the model's;
        ``max_iter`` counts this fit's epochs. ``y`` may hold a subset of the model's labels."""
        params = continued_params(model, params)
        self = cls.__new__(cls)
        self._setup(X, y, model.task, params, xp, None, classes, sample_weight, encoding(model))
        carry_over(self, model, keep_optimizer=keep_optimizer, keep_stopping=keep_stopping)
        return self

    def _setup(
        self,
        X: Any,
        y: Any,
        task: Any,
        params: MLPParams,
        xp: ModuleType | None,
        entropy: int | None,
        classes: Any,
        sample_weight: Any,
        keep: Encoding | None,
    ) -> None:
        if not isinstance(params, MLPParams):
            raise TypeError(f"params: expected MLPParams, got {type(params).__name__}")
        self.task = check_task(task)
        self.xp = resolve_xp(xp)
        n_samples = int(np.shape(X)[0]) if np.ndim(X) >= 1 else 0
        self.params = p = params.resolve(self.task, max(n_samples, 1))
        self.dtype = np.dtype(p.dtype)
        self.max_epochs = p.max_iter
        if entropy is None:
            entropy = int(np.random.SeedSequence(p.random_state).entropy)  # type: ignore[arg-type]
        self._entropy = entropy
        split_seed, init_seed, train_seed = np.random.SeedSequence(entropy).spawn(3)
        self._fingerprint = None if keep is None else column_stats(check_features(X))
        self.data: PreparedData = prepare(
            X,
            y,
            self.task,
            p,
            np.random.default_rng(split_seed),
            self.xp,
            self.dtype,
            classes,
            sample_weight=sample_weight,
            keep=keep,
        )
        data = self.data
        self.layout = ParameterLayout(
            tuple(layer_shapes(data.n_features, p.hidden_layer_sizes, data.n_outputs))
        )
        assert isinstance(p.batch_size, int) and p.loss is not None
        self.output_activation = output_activation_for_loss(p.loss, data.n_outputs, data.multilabel)
        rows = p.batch_size
        if p.solver == "lbfgs":  # full-batch evaluations, in chunks of bounded memory
            rows = chunk_rows(data.n_train, max(w for _, w in self.layout.shapes))
        head = make_head(p.loss, self.output_activation)
        self.net = Network(
            self.xp,
            self.layout,
            p.activation,
            head,
            self.dtype,
            rows,
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
        self._xbuf = self.xp.empty((rows, data.n_features), dtype=self.dtype)
        self._ybuf = self.xp.empty((rows, data.Y_train.shape[1]), dtype=self.dtype)
        self._wbuf = None if data.W_train is None else self.xp.empty((rows, 1), self.dtype)
        self.stopping = StoppingRule(p.tol, p.n_iter_no_change)
        # True once the stopping rule (lbfgs: its convergence test) ended the fit; False while
        # it runs, and when max_iter ended it (scikit-learn's ConvergenceWarning).
        self.converged = False
        # True when a diverging fit with early stopping ended on its best weights.
        self.diverged = False
        self.epoch = 0
        self.history = []
        self._samples_seen = 0
        self._best_params: Any = None
        self._finished = False
        self._mid_epoch = False
        # Where an unfinished epoch stands: set while `on_progress` runs (so `checkpoint()` can
        # record it) and after resuming from such a checkpoint (so the epoch continues there).
        self._position: EpochPosition | None = None
        self._iterate: np.ndarray | None = None  # lbfgs: the last iterate (float64, host)
        self._evaluations = 0  # lbfgs: loss evaluations so far (max_fun)

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

        ``on_epoch(report)`` runs after every finished epoch (lbfgs: iteration), when
        ``checkpoint()`` reflects exactly that epoch. ``should_stop()`` is consulted every
        ``stop_check_every`` batches (lbfgs: row chunks of an evaluation) and between epochs;
        True raises ``FitCancelled``. ``on_progress()`` runs inside long epochs, at those same
        boundaries, once ``progress_every_secs`` have passed since the last epoch end or progress
        call; ``checkpoint()`` taken there resumes mid-epoch, exactly.
        """
        if stop_check_every < 1:
            raise ValueError(f"stop_check_every: must be at least 1, got {stop_check_every}")
        if progress_every_secs <= 0:
            raise ValueError(f"progress_every_secs: must be > 0, got {progress_every_secs}")
        hooks = Hooks(on_epoch, should_stop, stop_check_every, on_progress, progress_every_secs)
        with np.errstate(all="ignore"):  # divergence is detected explicitly
            if self.params.solver == "lbfgs":
                if not self._finished:
                    run_lbfgs(self, hooks)
            elif not self._finished:
                run_epochs(self, hooks)
        return self.model()

    # -- results ------------------------------------------------------------------------------

    @property
    def split(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(training rows, validation rows) of the data, as sorted indices; (None, None)
        without early stopping, when every row trains."""
        return self.data.train_rows, self.data.val_rows

    def model(self) -> FittedModel:
        """The model with the current weights (the restored best ones once finished) and the
        state a continued fit starts from."""
        return model_of(self)

    def checkpoint(self) -> bytes:
        """Everything needed to continue this fit, as one safetensors blob (see
        engine/checkpoint.py)."""
        return checkpoints.write_checkpoint(self)
