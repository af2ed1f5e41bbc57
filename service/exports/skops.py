"""A fitted model as a scikit-learn pipeline, saved with skops (never pickle).

``Pipeline([("scaler", StandardScaler), ("mlp", MLPClassifier | regressor)])`` with every
fitted attribute set from the engine's weights, so ``predict`` / ``predict_proba`` answer as
/predict does (to float rounding: scikit-learn computes in float64 after the scaler).

The engine also standardizes regression targets; MLPRegressor cannot, so a regressor trained
that way is ``TransformedTargetRegressor(regressor=MLPRegressor, transformer=StandardScaler)``
holding the target's mean and scale. A poisson regressor is ``MLPRegressor(loss="poisson")``
(its exp output; scikit-learn ≥ 1.7), a multilabel classifier an ``MLPClassifier`` whose label
binarizer knows the label matrix, an lbfgs-trained model one with ``solver="lbfgs"``.
scikit-learn has no leaky_relu, elu or gelu: such a model cannot be expressed and is refused by
name (`NotExpressible`). Dropout only acts in training.

Hyper-parameters scikit-learn knows are carried over (those it does not, like the rmsprop
solver, keep scikit-learn's defaults), so ``fit`` on the loaded pipeline trains afresh with
them; the optimizer's state is not exported, so ``partial_fit`` would not continue this run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import skops.io as sio
from sklearn.base import BaseEstimator
from sklearn.compose import TransformedTargetRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from engine import FittedModel

SKLEARN_ACTIVATIONS = frozenset({"identity", "logistic", "tanh", "relu"})
# Hyper-parameters with scikit-learn's names and meanings, and the values it accepts where
# mlpforge accepts more.
_SHARED_PARAMS = (
    "hidden_layer_sizes", "alpha", "batch_size", "learning_rate_init", "power_t", "max_iter",
    "shuffle", "random_state", "tol", "momentum", "nesterovs_momentum", "early_stopping",
    "validation_fraction", "beta_1", "beta_2", "epsilon", "n_iter_no_change", "max_fun",
)  # fmt: skip
_SKLEARN_VALUES = {
    "solver": {"lbfgs", "sgd", "adam"},
    "learning_rate": {"constant", "invscaling", "adaptive"},
}


class NotExpressible(ValueError):
    """The model uses something scikit-learn's MLPs do not have."""


def check_expressible(model: FittedModel) -> None:
    activation = model.activation  # the engine resolves the alias sigmoid to logistic
    if activation not in SKLEARN_ACTIVATIONS:
        supported = ", ".join(sorted(SKLEARN_ACTIVATIONS))
        raise NotExpressible(
            f"activation {activation!r} has no scikit-learn equivalent (MLPClassifier and "
            f"MLPRegressor support {supported}); export this model as onnx or safetensors"
        )


def _hyperparameters(model: FittedModel) -> dict[str, Any]:
    resolved = model.params.to_dict()
    chosen = {name: resolved[name] for name in _SHARED_PARAMS if name in resolved}
    chosen["hidden_layer_sizes"] = tuple(model.hidden_layer_sizes)
    chosen["activation"] = model.activation
    for name, accepted in _SKLEARN_VALUES.items():
        if resolved.get(name) in accepted:
            chosen[name] = resolved[name]
    return chosen


def _set_network(estimator: MLPClassifier | MLPRegressor, model: FittedModel) -> None:
    layers = model.weights()  # copies in the model's dtype: float64 weights stay float64
    estimator.coefs_ = [w.copy() for w, _ in layers]
    estimator.intercepts_ = [b.copy() for _, b in layers]
    estimator.n_layers_ = len(layers) + 1
    estimator.n_outputs_ = model.n_outputs_
    estimator.out_activation_ = model.output_activation
    estimator.n_features_in_ = model.n_features_in_
    losses = [float(entry["loss"]) for entry in model.history]
    estimator.n_iter_ = model.n_iter_
    estimator.loss_curve_ = losses
    estimator.loss_ = losses[-1] if losses else None
    estimator.best_loss_ = min(losses) if losses else None
    estimator.t_ = model.t_


def _scaler(mean: np.ndarray | None, scale: np.ndarray | None, n_features: int) -> StandardScaler:
    """A fitted StandardScaler with the engine's statistics (none: one that passes through)."""
    if mean is None or scale is None:
        scaler = StandardScaler(with_mean=False, with_std=False)
        scaler.mean_ = scaler.scale_ = scaler.var_ = None
    else:
        scaler = StandardScaler()
        scaler.mean_ = np.asarray(mean, dtype=np.float64)
        scaler.scale_ = np.asarray(scale, dtype=np.float64)
        scaler.var_ = scaler.scale_**2
    scaler.n_features_in_ = n_features
    scaler.n_samples_seen_ = np.int64(0)  # not kept by the engine's model
    return scaler


def _classifier(model: FittedModel) -> MLPClassifier:
    assert model.classes_ is not None
    estimator = MLPClassifier(**_hyperparameters(model))
    _set_network(estimator, model)
    # A multilabel binarizer is fitted on a label matrix (an identity has every label once).
    labels = np.eye(len(model.classes_), dtype=int) if model.multilabel else model.classes_
    binarizer = LabelBinarizer().fit(labels)
    estimator._label_binarizer = binarizer
    estimator.classes_ = binarizer.classes_
    return estimator


def _regressor(model: FittedModel) -> BaseEstimator:
    # loss stays scikit-learn's squared_error for absolute_error and huber: they change how
    # the weights were trained, not how they predict; poisson's exp output is scikit-learn's.
    hyper = _hyperparameters(model)
    if model.output_activation == "exp":
        hyper["loss"] = "poisson"
    estimator = MLPRegressor(**hyper)
    _set_network(estimator, model)
    if model.y_mean_ is None or model.y_scale_ is None:
        return estimator
    targets = _scaler(model.y_mean_, model.y_scale_, model.n_outputs_)
    wrapped = TransformedTargetRegressor(
        regressor=MLPRegressor(**hyper), transformer=StandardScaler()
    )
    wrapped.regressor_ = estimator
    wrapped.transformer_ = targets
    wrapped._training_dim = 1 if model.n_outputs_ == 1 else 2
    return wrapped


def to_pipeline(model: FittedModel) -> Pipeline:
    """The fitted scikit-learn pipeline (`NotExpressible` when it cannot be one)."""
    check_expressible(model)
    scaler = _scaler(model.x_mean_, model.x_scale_, model.n_features_in_)
    last = _classifier(model) if model.task == "classification" else _regressor(model)
    return Pipeline([("scaler", scaler), ("mlp", last)])


def to_skops(model: FittedModel) -> bytes:
    return sio.dumps(to_pipeline(model))
