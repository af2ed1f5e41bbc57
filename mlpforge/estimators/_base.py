"""What MLPClassifier and MLPRegressor share: fitting through the engine (afresh, or continuing
with ``warm_start`` / ``partial_fit``), the fitted attributes, the forward pass over
``coefs_``, and pickling."""

from __future__ import annotations

import copy
import warnings
from abc import abstractmethod
from dataclasses import asdict
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from engine import FittedModel, Task, dump_model, load_model
from mlpforge.estimators._engine_params import engine_params, training_dtype
from mlpforge.estimators._history import History, history
from mlpforge.estimators._layers import fold, unfold
from mlpforge.estimators._training import Run, print_epoch, train

# The one solver that does not run in epochs: it warns in its own words when max_iter ends
# the fit, and it has no partial_fit (as in scikit-learn).
_LBFGS = "lbfgs"


class BaseMLP(BaseEstimator):
    """The engine, in-process, behind scikit-learn's MLP interface.

    ``_engine_model`` is the engine's own model of the last fit (standardized scale, with the
    solver's state): what ``warm_start`` and ``partial_fit`` continue from, and what pickles.
    ``coefs_`` / ``intercepts_`` are derived from it once per fit and are what ``predict`` uses.
    """

    _task: ClassVar[Task]

    # -- fitting ------------------------------------------------------------------------------

    @abstractmethod
    def _validate_targets(self, y: np.ndarray, *, fresh: bool, incremental: bool) -> np.ndarray:
        """The targets as the engine takes them (class indices for a classifier)."""

    def _engine_classes(self, targets: np.ndarray) -> np.ndarray | None:
        """What the engine's ``classes`` gets: the classifier's targets are indices into it."""
        return None

    def _fit(self, X: Any, y: Any, sample_weight: Any, *, incremental: bool) -> BaseMLP:
        fresh = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        X, y = validate_data(
            self, X, y, multi_output=True, dtype=(np.float64, np.float32), reset=fresh
        )
        targets = self._validate_targets(y, fresh=fresh, incremental=incremental)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        self._warn_batch_size(X.shape[0])
        dtype = training_dtype(self.dtype, X)
        run = train(
            X,
            targets,
            task=self._task,
            params=engine_params(self, dtype, max_iter=1 if incremental else None),
            classes=self._engine_classes(targets),
            sample_weight=sample_weight,
            start=None if fresh else self._start(),
            on_epoch=print_epoch if self.verbose else None,
        )
        self._record(run, before=None if fresh else self._history())
        if not incremental and not run.converged:
            self._warn_not_converged()
        return self

    def _warn_batch_size(self, n_samples: int) -> None:
        if self.solver != _LBFGS and self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=4,
            )

    def _warn_not_converged(self) -> None:
        if self.solver == _LBFGS:
            message = (
                f"lbfgs failed to converge after {self.n_iter_} iteration(s). Increase the "
                f"number of iterations to improve the convergence (max_iter={self.max_iter})."
            )
        else:
            message = (
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet."
            )
        warnings.warn(message, ConvergenceWarning, stacklevel=4)

    def _record(self, run: Run, before: History | None) -> None:
        model = run.model
        layers = fold(model)
        self.coefs_ = [w for w, _ in layers]
        self.intercepts_ = [b for _, b in layers]
        self.n_layers_ = len(layers) + 1
        self.n_outputs_ = model.n_outputs_
        self.out_activation_ = model.output_activation
        self._engine_model = model
        fitted = history(run.history, t=model.t_, early_stopping=self.early_stopping, before=before)
        for name, value in asdict(fitted).items():
            setattr(self, name, value)

    def _start(self) -> FittedModel:
        """The model to continue: the last fit's, with ``coefs_`` / ``intercepts_`` as they are
        now (unchanged, the engine's own weights, bit for bit)."""
        model = self._engine_model
        now = list(zip(self.coefs_, self.intercepts_, strict=True))
        as_fitted = fold(model)
        if len(now) == len(as_fitted) and all(
            np.array_equal(w, w0) and np.array_equal(b, b0)
            for (w, b), (w0, b0) in zip(now, as_fitted, strict=True)
        ):
            return model
        edited = copy.copy(model)
        layers = unfold(model, now)
        edited.coefs_ = [w for w, _ in layers]
        edited.intercepts_ = [b for _, b in layers]
        return edited

    def _history(self) -> History:
        return History(**{name: getattr(self, name) for name in History.__dataclass_fields__})

    # -- predicting ---------------------------------------------------------------------------

    def _forward(self, X: Any, output_activation: str | None = None) -> np.ndarray:
        """[n_samples, n_outputs]: the engine's forward pass over ``coefs_`` (which act on raw
        inputs) on ``X`` checked against the fit, through ``output_activation`` (default: the
        fit's, ``out_activation_``)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        engine = self._engine_model
        # A regression model with no target scaling is the bare network: its predict is the
        # output layer's activation, whatever the task the weights were trained for.
        network = FittedModel(
            task="regression",
            layers=list(zip(self.coefs_, self.intercepts_, strict=True)),
            activation=engine.activation,
            output_activation=output_activation or self.out_activation_,
            params=engine.params,
        )
        return network.predict(X).reshape(X.shape[0], -1)

    # -- pickling -----------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """The engine's model travels as its own safetensors bytes, not as pickled objects."""
        state = dict(super().__getstate__())
        model = state.get("_engine_model")
        if isinstance(model, FittedModel):
            state["_engine_model"] = dump_model(model)  # with the solver's state
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        blob = state.get("_engine_model")
        if isinstance(blob, bytes):
            state = {**state, "_engine_model": load_model(blob)}
        super().__setstate__(state)


def set_init_params(estimator: BaseEstimator, values: dict[str, Any]) -> None:
    """``__init__``'s body: store every argument as it is (scikit-learn's rule), from the
    ``locals()`` of an ``__init__`` that lists the parameters explicitly."""
    for name, value in values.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def can_partial_fit(estimator: BaseMLP) -> bool:
    """partial_fit exists for the solvers that run in epochs (scikit-learn hides it for lbfgs
    the same way)."""
    return estimator.solver != _LBFGS
