"""``RemoteMLPClassifier``: scikit-learn's ``MLPClassifier``, trained and served remotely."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import ClassifierMixin

from mlpforge.remote._base import RemoteMLP, set_init_params


class RemoteMLPClassifier(ClassifierMixin, RemoteMLP):
    """scikit-learn's ``MLPClassifier``, trained and served by an mlpforge service.

    Fitted attributes: ``classes_``, ``n_features_in_`` (and ``feature_names_in_`` for a
    DataFrame), ``model_id_``, ``job_id_``, ``dataset_id_``, ``job_`` (the finished job, with
    its ``evaluation``), ``n_iter_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_``,
    ``best_validation_score_``, ``n_outputs_``.
    """

    _task: ClassVar[str] = "classification"

    def __init__(
        self,
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
        labels: np.ndarray = self._predict_full(X).predictions
        return labels.astype(self.classes_.dtype, copy=False)

    def predict_proba(self, X: Any) -> np.ndarray:
        prediction = self._predict_full(X)
        probabilities, served = prediction.probabilities, prediction.classes
        if probabilities is None:
            raise ValueError(f"model {self.model_id_} is not a classifier: no probabilities")
        if served is not None and list(served) != list(self.classes_):
            order = {label: column for column, label in enumerate(served.tolist())}
            probabilities = probabilities[:, [order[label] for label in self.classes_.tolist()]]
        return probabilities

    def predict_log_proba(self, X: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
