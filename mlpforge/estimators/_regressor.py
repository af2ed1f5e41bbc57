"""``MLPRegressor``: scikit-learn's, trained by the engine in this process."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._tags import Tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d

from engine import Task
from mlpforge.estimators._base import BaseMLP, can_partial_fit, set_init_params
from mlpforge.estimators._constraints import REGRESSOR


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor``, trained by
    mlpforge's engine in-process (no server).

    The parameters are scikit-learn's (same names, order, defaults and meanings; ``loss`` is
    ``"squared_error"`` or ``"poisson"`` (log link, ``y >= 0``) as in scikit-learn, or the
    engine's ``"absolute_error"`` and ``"huber"``), then mlpforge's extras, as documented on
    :class:`MLPClassifier`, which also says how ``warm_start`` and ``partial_fit`` continue.

    With ``standardize=True`` (the default) the engine also standardizes the targets (never
    poisson's); ``coefs_`` and ``intercepts_`` have both standardizations folded in, so
    scikit-learn's forward pass over them on raw ``X`` gives ``predict(X)`` in the targets' own
    units. ``loss_curve_`` is the engine's training loss, measured on the standardized targets
    when ``standardize`` (half the mean squared error plus the penalties), so it is not on
    scikit-learn's scale.

    Fitted attributes: as :class:`MLPClassifier`'s, without ``classes_``. Multi-output targets
    (``y`` of shape (n_samples, n_outputs)) are supported.
    """

    _task: ClassVar[Task] = "regression"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = REGRESSOR

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        rho: float = 0.9,
        weight_decay: float = 0.01,
        l1: float = 0.0,
        dropout: float = 0.0,
        clip_grad_norm: float | None = None,
        standardize: bool = True,
        restore_best_weights: bool | None = None,
        dtype: Any = None,
    ) -> None:
        set_init_params(self, locals())

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Fit the model to ``X`` (n_samples, n_features) and targets ``y`` (n_samples,) or
        (n_samples, n_outputs)."""
        self._validate_params()
        self._fit(X, y, sample_weight, incremental=False)
        return self

    @available_if(can_partial_fit)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``X``, ``y``, continuing the current fit (or starting one)."""
        if not hasattr(self, "coefs_"):
            self._validate_params()
        self._fit(X, y, sample_weight, incremental=True)
        return self

    def _validate_targets(self, y: np.ndarray, *, fresh: bool, incremental: bool) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: (n_samples,) for one output, else (n_samples, n_outputs), in the
        training dtype."""
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
