"""Small models trained in-process by the engine and stored as a worker would store them, so
that export and inference tests need no worker (and train in milliseconds)."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import FittedModel, MLPParams, dump_model, fit
from store import ModelRecord, Store
from store.ids import new_id, utcnow

ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu")


def features(n: int = 60, seed: int = 0) -> np.ndarray:
    """Three features on very different scales, so that standardization matters."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]).astype(np.float32)


def targets(kind: str, X: np.ndarray) -> tuple[str, Any]:
    """(task, y) for: binary string labels, multiclass int labels, one or two regression
    targets in large units (so that undoing the target scaling matters), a 0/1 label matrix
    (multilabel), counts (for loss="poisson")."""
    if kind == "binary":
        return "classification", np.where(X[:, 0] > 0, "yes", "no")
    if kind == "multiclass":
        return "classification", (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 5) + 7
    if kind == "regression":
        return "regression", X[:, 0] * 3.0 + 1000.0
    if kind == "two_targets":
        return "regression", np.stack([X[:, 0] * 3.0 + 1000.0, X[:, 1] - X[:, 2]], axis=1)
    if kind == "multilabel":
        return "classification", np.stack([X[:, 0] > 0, X[:, 1] > 5, X[:, 2] > -50], 1).astype(int)
    if kind == "counts":
        return "regression", np.round(np.exp(X[:, 0] / 2))
    raise ValueError(kind)


def train(kind: str, activation: str = "relu", **params: Any) -> FittedModel:
    X = features()
    task, y = targets(kind, X)
    settings: dict[str, Any] = {
        "hidden_layer_sizes": (5, 4),
        "activation": activation,
        "max_iter": 15,
        "random_state": 0,
        **params,
    }
    return fit(X, y, task=task, params=MLPParams(**settings))


def publish(store: Store, model: FittedModel) -> str:
    """Store ``model`` for ``store``'s tenant, as a worker publishes one; its id."""
    blob = dump_model(model)
    record = ModelRecord(
        id=new_id("mdl"),
        job_id=new_id("job"),
        dataset_id=new_id("ds"),
        task=model.task,
        n_features=model.n_features_in_,
        classes=None if model.classes_ is None else model.classes_.tolist(),
        multilabel=model.multilabel,
        n_outputs=model.n_outputs_,
        hidden_layer_sizes=list(model.hidden_layer_sizes),
        activation=model.activation,
        params=model.params.to_dict(),
        n_parameters=model.n_parameters,
        metrics=model.final_metrics(),
        dataset_sha256="0" * 64,
        size_bytes=len(blob),
        created_at=utcnow(),
    )
    store.models.create(record, blob)
    return record.id
