"""What MLPClassifier and MLPRegressor share: fitting through the engine, the fitted attributes,
the forward pass over ``coefs_``, and pickling."""

from __future__ import annotations

import warnings
from abc import abstractmethod
from dataclasses import asdict
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from engine import FittedModel, Task
from mlpforge.estimators._capabilities import engine_can_continue
from mlpforge.estimators._engine_params import engine_params, training_dtype
from mlpforge.estimators._history import History, history
from mlpforge.estimators._layers import fold
from mlpforge.estimators._persistence import model_bytes, model_from_bytes
from mlpforge.estimators._training import Run, check_weights, print_epoch, train

# Solvers that run in epochs (everything but lbfgs): they warn when max_iter ends the fit, and
# they alone can take a partial_fit step.
_NOT_STOCHASTIC = frozenset({"lbfgs"})


class BaseMLP(BaseEstimator):
    """The engine, in-process, behind scikit-learn's MLP interface."""

    _task: ClassVar[Task]

    # -- fitting ------------------------------------------------------------------------------

    @abstractmethod
    def _validate_targets(self, y: np.ndarray, *, fresh: bool, incremental: bool) -> np.ndarray:
        """The targets as the engine takes them (class indices for a classifier)."""

    def _engine_classes(self) -> np.ndarray | None:
        """What the engine's ``classes`` gets: the classifier's targets are indices into it."""
        return None

    def _fit(self, X: Any, y: Any, sample_weight: Any, *, incremental: bool) -> BaseMLP:
        fresh = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not fresh:
            raise NotImplementedError(
                "continuing a fit (warm_start=True, partial_fit) needs the engine's warm "
                "start, which this version does not have"
            )
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            dtype=(np.float64, np.float32),
            ensure_min_samples=2,  # the engine's minimum (scikit-learn's is 1)
            reset=fresh,
        )
        targets = self._validate_targets(y, fresh=fresh, incremental=incremental)
        penalty_divisor = 1.0
        if sample_weight is not None:
            sample_weight, penalty_divisor = check_weights(sample_weight, X)
        self._warn_batch_size(X.shape[0])
        dtype = training_dtype(self.dtype, X)
        params = engine_params(
            self,
            dtype,
            max_iter=1 if incremental else None,
            penalty_divisor=penalty_divisor,
        )
        run = train(
            X,
            targets,
            task=self._task,
            params=params,
            dtype=dtype,
            classes=self._engine_classes(),
            sample_weight=sample_weight,
            on_epoch=print_epoch if self.verbose else None,
        )
        self._record(run, dtype, before=None if fresh else self._history())
        if not incremental and not run.converged and self.solver not in _NOT_STOCHASTIC:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _warn_batch_size(self, n_samples: int) -> None:
        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=4,
            )

    def _record(self, run: Run, dtype: np.dtype[Any], before: History | None) -> None:
        model = run.model
        layers = fold(model, dtype)
        self.coefs_ = [w for w, _ in layers]
        self.intercepts_ = [b for _, b in layers]
        self.n_layers_ = len(layers) + 1
        self.n_outputs_ = model.n_outputs_
        self.out_activation_ = model.output_activation
        self._engine_model = model
        fitted = history(
            run.history, n_train=run.n_train, early_stopping=self.early_stopping, before=before
        )
        for name, value in asdict(fitted).items():
            setattr(self, name, value)

    def _history(self) -> History:
        return History(**{name: getattr(self, name) for name in History.__dataclass_fields__})

    # -- predicting ---------------------------------------------------------------------------

    def _network(self, X: Any) -> tuple[FittedModel, np.ndarray]:
        """The engine's forward pass over ``coefs_`` (which act on raw inputs), and ``X``
        checked against the fit."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        engine = self._engine_model
        network = FittedModel(
            task=self._task,
            layers=list(zip(self.coefs_, self.intercepts_, strict=True)),
            activation=engine.activation,
            output_activation=self.out_activation_,
            params=engine.params,
        )
        return network, X

    # -- pickling -----------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """The engine's model travels as its own safetensors bytes, not as pickled objects."""
        state = dict(super().__getstate__())
        model = state.get("_engine_model")
        if isinstance(model, FittedModel):
            state["_engine_model"] = model_bytes(model)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        blob = state.get("_engine_model")
        if isinstance(blob, bytes):
            state = {**state, "_engine_model": model_from_bytes(blob)}
        super().__setstate__(state)


def set_init_params(estimator: BaseEstimator, values: dict[str, Any]) -> None:
    """``__init__``'s body: store every argument as it is (scikit-learn's rule), from the
    ``locals()`` of an ``__init__`` that lists the parameters explicitly."""
    for name, value in values.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def can_partial_fit(estimator: BaseMLP) -> bool:
    """partial_fit exists for the solvers that run in epochs, once the engine can continue a
    fit (scikit-learn hides it for lbfgs the same way)."""
    return estimator.solver not in _NOT_STOCHASTIC and engine_can_continue()
