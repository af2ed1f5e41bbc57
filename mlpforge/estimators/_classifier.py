"""``MLPClassifier``: scikit-learn's, trained by the engine in this process."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils._tags import Tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from engine import Task
from mlpforge.estimators._base import BaseMLP, can_partial_fit, set_init_params
from mlpforge.estimators._constraints import COMMON


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier``, trained by
    mlpforge's engine in-process (no server).

    The parameters are scikit-learn's (same names, order, defaults and meanings; ``solver``,
    ``activation`` and ``learning_rate`` accept the engine's further choices), then mlpforge's:

    rho : float, default=0.9
        RMSprop's decay of the squared-gradient average (``solver="rmsprop"``).
    weight_decay : float, default=0.01
        Decoupled weight decay of ``solver="adamw"``.
    l1 : float, default=0.0
        L1 penalty on the weights, next to ``alpha``'s L2.
    dropout : float, default=0.0
        Dropout rate of the hidden layers while training.
    clip_grad_norm : float or None, default=None
        Rescale each mini-batch gradient to at most this L2 norm.
    standardize : bool, default=True
        Train on standardized inputs (statistics of the training rows). ``coefs_`` act on raw
        inputs either way: the standardization is folded into the first layer.
    restore_best_weights : bool or None, default=None
        Keep the best epoch's weights (None: when ``early_stopping``, as scikit-learn).
    dtype : {"float32", "float64"} or None, default=None
        Training dtype; None is scikit-learn's rule: float32 data in float32, else float64.
        float32 halves the memory and is faster.

    Fitted attributes are scikit-learn's: ``classes_``, ``coefs_`` and ``intercepts_``
    (``X @ coefs_[0] + intercepts_[0]`` is the first layer on raw ``X``), ``loss_``,
    ``loss_curve_``, ``best_loss_``, ``validation_scores_``, ``best_validation_score_``,
    ``n_iter_``, ``t_``, ``n_features_in_``, ``feature_names_in_``, ``n_layers_``,
    ``n_outputs_``, ``out_activation_``. ``loss_curve_`` is the engine's training loss (mean
    log-loss plus the penalties), per epoch (lbfgs: per iteration). ``y`` may also be a 0/1
    indicator matrix (multilabel: one logistic output per label).

    ``warm_start=True`` (a further ``fit``) and ``partial_fit`` continue the last fit from
    ``coefs_`` as they are, on its standardization (later data is scaled with the first fit's
    statistics), with its solver's state (Adam's moments, sgd's velocity, the learning-rate
    schedule) and its stopping rule. scikit-learn restarts the solver on a warm-start ``fit``;
    the engine carries it on, so two warm-start fits of 5 epochs are one fit of 10 (exactly,
    with ``shuffle=False``: the shuffling order starts again from ``random_state``). Pickles
    hold the engine's model as safetensors bytes, solver state included.
    """

    _task: ClassVar[Task] = "classification"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = COMMON

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

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Fit the model to ``X`` (n_samples, n_features) and class labels ``y``."""
        self._validate_params()
        self._fit(X, y, sample_weight, incremental=False)
        return self

    @available_if(can_partial_fit)
    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> MLPClassifier:
        """One epoch over ``X``, ``y``; ``classes`` (every label of the whole data) is needed
        on the first call, as scikit-learn's."""
        if _check_partial_fit_first_call(self, classes):
            self._validate_params()
        self._fit(X, y, sample_weight, incremental=True)
        return self

    def _validate_targets(self, y: np.ndarray, *, fresh: bool, incremental: bool) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        labels = unique_labels(y)  # a multilabel indicator's: arange(n_labels), as sklearn's
        if fresh and not incremental:
            self.classes_ = labels
        elif self.warm_start and not incremental:
            if set(labels) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {labels}"
                )
        elif len(np.setdiff1d(labels, self.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                f"'y' has {labels}."
            )
        if type_of_target(y) == "multilabel-indicator":
            return y.astype(np.uint8)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got {len(self.classes_)} class"
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _engine_classes(self, targets: np.ndarray) -> np.ndarray | None:
        # The engine learns class indices; the labels themselves (any type scikit-learn
        # accepts, object arrays included) stay here. A multilabel indicator (2-D) is its own
        # encoding.
        return None if targets.ndim == 2 else np.arange(len(self.classes_))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class of ``classes_`` (multilabel: of each label), one row per
        sample."""
        # From the logits, with scipy's expit and softmax: the engine's logistic output,
        # 0.5 * (1 + tanh(z / 2)), is exactly 0 for logits under about -38 (expit: 3e-17) and
        # a log-probability of -inf, where scikit-learn's stays finite.
        z = self._forward(X, "identity")
        if self.out_activation_ == "softmax":
            return softmax(z, axis=1)
        if z.shape[1] == 1 and not self._engine_model.multilabel:
            return np.hstack([expit(-z), expit(z)])
        return expit(z)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample (multilabel: the 0/1 indicator of the labels
        more likely than not, as scikit-learn)."""
        check_is_fitted(self)
        proba = self.predict_proba(X)
        if self._engine_model.multilabel:
            return (proba > 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
