"""``RemoteMLPRegressor``: scikit-learn's ``MLPRegressor``, trained and served remotely."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import RegressorMixin

from mlpforge.remote._base import RemoteMLP, set_init_params


class RemoteMLPRegressor(RegressorMixin, RemoteMLP):
    """scikit-learn's ``MLPRegressor``, trained and served by an mlpforge service (fitted
    attributes as :class:`RemoteMLPClassifier`'s, without ``classes_``). ``loss`` also takes
    mlpforge's ``absolute_error`` and ``huber``."""

    _task: ClassVar[str] = "regression"

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
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        rho: float = 0.9,
        weight_decay: float = 0.01,
        l1: float = 0.0,
        dropout: float = 0.0,
        clip_grad_norm: float | None = None,
        standardize: bool = True,
        restore_best_weights: bool | None = None,
        url: str | None = None,
        api_key: str | None = None,
        device: str | None = None,
        max_runtime_secs: int | None = None,
        timeout: float | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        keep_data: bool = False,
    ) -> None:
        set_init_params(self, locals())

    def predict(self, X: Any) -> np.ndarray:
        predictions: np.ndarray = self._predict_full(X).predictions
        if self.n_outputs_ == 1:
            return predictions.reshape(-1)
        return predictions
