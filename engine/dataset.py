"""Training data made ready for the network: validated, split, standardized, encoded, weighted.

A continued fit (``Trainer.from_model``) passes the model's ``Encoding``: its classes and its
standardization statistics are reused as they are, never recomputed from the new data — the
weights were learned on that scale, and a model that re-standardized would no longer compute
the same function when training resumes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from engine.architecture import n_outputs_for
from engine.feature_rows import FeatureRows
from engine.params import MLPParams, Task
from engine.preprocessing import column_stats, one_hot
from engine.splitting import train_validation_split
from engine.validation import (
    check_classification_targets,
    check_features,
    check_regression_targets,
    check_sample_weight,
    onto_classes,
)
from engine.xp import Array

_CHUNK_ELEMENTS = 1 << 19  # rows gathered at a time x features


@dataclass(frozen=True)
class Encoding:
    """What a model fixes about its data: classes (multilabel or not), outputs, statistics."""

    classes: np.ndarray | None
    multilabel: bool
    n_features: int
    n_outputs: int
    x_mean: np.ndarray | None
    x_scale: np.ndarray | None
    y_mean: np.ndarray | None
    y_scale: np.ndarray | None


@dataclass
class PreparedData:
    n_samples: int
    n_features: int
    n_outputs: int
    classes: np.ndarray | None
    X_train: FeatureRows  # stored dtype on the device, standardized per batch
    Y_train: Array  # one-hot / 0-1 columns / (standardized) targets, dtype, on the device
    X_val: Array | None
    Y_val: Array | None
    # Class indices (an indicator matrix for multilabel), or standardized targets (host).
    val_truth: np.ndarray | None
    x_mean: np.ndarray | None
    x_scale: np.ndarray | None
    y_mean: np.ndarray | None
    y_scale: np.ndarray | None
    # Sorted row indices of the early-stopping split (None without one: every row trains).
    train_rows: np.ndarray | None = None
    val_rows: np.ndarray | None = None
    multilabel: bool = False
    W_train: Array | None = None  # sample weights [n_train, 1], dtype, on the device
    W_val: Array | None = None
    val_weights: np.ndarray | None = None  # float64, host (the weighted validation score)
    weights_digest: str | None = None  # identifies the weights a checkpoint was taken with

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])


def prepare(
    X: Any,
    y: Any,
    task: Task,
    params: MLPParams,
    split_rng: np.random.Generator,
    xp: ModuleType,
    dtype: Any,
    classes: Any = None,
    *,
    sample_weight: Any = None,
    keep: Encoding | None = None,
) -> PreparedData:
    """``classes`` given: ``y`` holds each sample's index into these labels (see
    check_classification_targets); the model's classes are then exactly these — unless
    ``keep`` (a continued fit) brings a model's classes, onto which the labels are mapped."""
    X = check_features(X)
    n = X.shape[0]
    if keep is not None and X.shape[1] != keep.n_features:
        raise ValueError(f"X: the model takes {keep.n_features} features, got {X.shape[1]}")
    weights = check_sample_weight(sample_weight, n)
    labels: np.ndarray | None = None
    multilabel = False
    if task == "classification":
        classes, targets = check_classification_targets(y, n, classes)
        multilabel = targets.ndim == 2
        if keep is not None:
            classes, targets = _onto_model(classes, targets, multilabel, keep)
        labels = None if multilabel else targets
        n_outputs = targets.shape[1] if multilabel else n_outputs_for(task, classes.shape[0], 1)
    else:
        targets = check_regression_targets(y, n, classes, params.loss)
        classes = None
        n_outputs = targets.shape[1]
        if keep is not None and keep.n_outputs != n_outputs:
            raise ValueError(f"y: the model predicts {keep.n_outputs} target(s), y has {n_outputs}")

    train_idx: np.ndarray | None = None
    val_idx: np.ndarray | None = None
    if params.early_stopping:
        train_idx, val_idx = train_validation_split(
            n, params.validation_fraction, split_rng, labels
        )

    if keep is not None:
        x_mean, x_scale = keep.x_mean, keep.x_scale
    elif params.standardize:
        # Over the training rows' values in the training dtype, as a converted copy had them.
        mean, scale = column_stats(
            X, _subset(weights, train_idx), rows=train_idx, via=np.dtype(dtype)
        )
        x_mean, x_scale = mean.astype(dtype), scale.astype(dtype)
    else:
        x_mean = x_scale = None
    if x_mean is not None and x_scale is not None:
        x_mean, x_scale = x_mean.astype(dtype), x_scale.astype(dtype)
    if np.dtype(X.dtype) == np.dtype(dtype) and x_mean is not None and x_scale is not None:
        # Stored in the training dtype already: a standardized copy of the training rows costs
        # no more memory than the data, and saves two passes over every batch (~10 % of a
        # 784-256-128-10 epoch; bench/engine.py). Its values are those the batches would get.
        rows = np.arange(n) if train_idx is None else train_idx
        ready = _standardized_rows(X, rows, dtype, x_mean, x_scale)
        X_train = FeatureRows(xp, xp.asarray(ready), None, None, None, dtype)
    else:
        # Narrower data (uint8 pixels) stays as stored, 1/4 of a float32 copy: each batch is
        # converted and standardized as it is read.
        X_train = FeatureRows(
            xp,
            xp.asarray(np.ascontiguousarray(X)),
            None if train_idx is None else xp.asarray(train_idx),
            None if x_mean is None else xp.asarray(x_mean),
            None if x_scale is None else xp.asarray(x_scale),
            dtype,
        )
    X_val = None if val_idx is None else _standardized_rows(X, val_idx, dtype, x_mean, x_scale)

    t_train = targets if train_idx is None else targets[train_idx]
    t_val = None if val_idx is None else targets[val_idx]
    y_mean = y_scale = None
    if classes is not None and not multilabel:
        Y_train = one_hot(t_train, classes.shape[0], dtype)
        Y_val = None if t_val is None else one_hot(t_val, classes.shape[0], dtype)
        val_truth = t_val
    else:
        # Poisson's log link needs targets >= 0: they are never standardized.
        if keep is not None:
            y_mean, y_scale = keep.y_mean, keep.y_scale
        elif task == "regression" and params.standardize and params.loss != "poisson":
            mean, scale = column_stats(t_train, _subset(weights, train_idx))
            y_mean, y_scale = mean.astype(dtype), scale.astype(dtype)
        if y_mean is not None and y_scale is not None:
            m64, s64 = y_mean.astype(np.float64), y_scale.astype(np.float64)
            t_train = (t_train - m64) / s64
            t_val = None if t_val is None else (t_val - m64) / s64
        Y_train = t_train.astype(dtype)
        Y_val = None if t_val is None else t_val.astype(dtype)
        val_truth = t_val

    def weight_column(rows: np.ndarray | None) -> Array | None:
        if weights is None:
            return None
        chosen = weights if rows is None else weights[rows]
        return xp.asarray(chosen.astype(dtype).reshape(-1, 1))

    return PreparedData(
        n_samples=n,
        n_features=X.shape[1],
        n_outputs=n_outputs,
        classes=classes,
        X_train=X_train,
        Y_train=xp.asarray(Y_train),
        X_val=None if X_val is None else xp.asarray(X_val),
        Y_val=None if Y_val is None else xp.asarray(Y_val),
        val_truth=val_truth,
        x_mean=x_mean,
        x_scale=x_scale,
        y_mean=y_mean,
        y_scale=y_scale,
        train_rows=train_idx,
        val_rows=val_idx,
        multilabel=multilabel,
        W_train=weight_column(train_idx),
        W_val=None if val_idx is None else weight_column(val_idx),
        val_weights=None if weights is None or val_idx is None else weights[val_idx],
        weights_digest=None if weights is None else hashlib.sha256(weights.tobytes()).hexdigest(),
    )


def _subset(weights: np.ndarray | None, rows: np.ndarray | None) -> np.ndarray | None:
    return weights if weights is None or rows is None else weights[rows]


def _onto_model(
    classes: np.ndarray, targets: np.ndarray, multilabel: bool, keep: Encoding
) -> tuple[np.ndarray, np.ndarray]:
    """The data's classes replaced by the model's, the targets mapped onto them."""
    if keep.classes is None or multilabel != keep.multilabel:
        kind = "multilabel" if keep.multilabel else "single-label"
        raise ValueError(f"y: the model is a {kind} classifier; y does not fit it")
    if multilabel:
        if targets.shape[1] != keep.classes.shape[0]:
            raise ValueError(
                f"y: the model has {keep.classes.shape[0]} labels, y has {targets.shape[1]} columns"
            )
        return keep.classes, targets
    return keep.classes, onto_classes(classes, targets, keep.classes)


def _rows(X: np.ndarray, idx: np.ndarray, dtype: Any) -> np.ndarray:
    """X[idx] as a C-contiguous ``dtype`` array, gathered in chunks (no full-size temporary)."""
    out = np.empty((idx.shape[0], X.shape[1]), dtype=dtype)
    rows = max(1, _CHUNK_ELEMENTS // max(1, X.shape[1]))
    for start in range(0, idx.shape[0], rows):
        out[start : start + rows] = X[idx[start : start + rows]]
    return out


def _standardized_rows(
    X: np.ndarray, idx: np.ndarray, dtype: Any, mean: np.ndarray | None, scale: np.ndarray | None
) -> np.ndarray:
    """X[idx] in ``dtype``, standardized when there is a mean and scale (a new array)."""
    out = _rows(X, idx, dtype)
    if mean is not None and scale is not None:
        _standardize_inplace(out, mean, scale)
    return out


def _standardize_inplace(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> None:
    # the same two operations as preprocessing.standardize, so predict reproduces training
    X -= mean
    X /= scale
