"""Training data made ready for the network: validated, split, standardized, encoded."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from engine.architecture import n_outputs_for
from engine.params import MLPParams, Task
from engine.preprocessing import column_stats, one_hot
from engine.splitting import train_validation_split
from engine.validation import (
    check_classification_targets,
    check_features,
    check_regression_targets,
)
from engine.xp import Array

_CHUNK_ELEMENTS = 1 << 19  # rows gathered at a time x features


@dataclass
class PreparedData:
    n_samples: int
    n_features: int
    n_outputs: int
    classes: np.ndarray | None
    X_train: Array  # standardized, dtype, on the device
    Y_train: Array  # one-hot / 0-1 column / standardized targets, dtype, on the device
    X_val: Array | None
    Y_val: Array | None
    val_truth: np.ndarray | None  # class indices, or standardized targets (host)
    x_mean: np.ndarray | None
    x_scale: np.ndarray | None
    y_mean: np.ndarray | None
    y_scale: np.ndarray | None
    # Sorted row indices of the early-stopping split (None without one: every row trains).
    train_rows: np.ndarray | None = None
    val_rows: np.ndarray | None = None

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
) -> PreparedData:
    """``classes`` given: ``y`` holds each sample's index into these labels (see
    check_classification_targets); the model's classes are then exactly these."""
    X = check_features(X)
    n = X.shape[0]
    if task == "classification":
        classes, labels = check_classification_targets(y, n, classes)
        targets: np.ndarray = labels
        n_outputs = n_outputs_for(task, classes.shape[0], 1)
    else:
        targets = check_regression_targets(y, n, classes)
        classes = None
        labels = None
        n_outputs = targets.shape[1]

    train_idx: np.ndarray | None = None
    val_idx: np.ndarray | None = None
    if params.early_stopping:
        train_idx, val_idx = train_validation_split(
            n, params.validation_fraction, split_rng, labels
        )

    X_train = _rows(X, train_idx, dtype, copy=params.standardize)
    x_mean = x_scale = None
    if params.standardize:
        mean, scale = column_stats(X_train)
        x_mean, x_scale = mean.astype(dtype), scale.astype(dtype)
        _standardize_inplace(X_train, x_mean, x_scale)
    X_val = None
    if val_idx is not None:
        X_val = _rows(X, val_idx, dtype, copy=True)
        if x_mean is not None and x_scale is not None:
            _standardize_inplace(X_val, x_mean, x_scale)

    t_train = targets if train_idx is None else targets[train_idx]
    t_val = None if val_idx is None else targets[val_idx]
    y_mean = y_scale = None
    if classes is not None:
        Y_train = one_hot(t_train, classes.shape[0], dtype)
        Y_val = None if t_val is None else one_hot(t_val, classes.shape[0], dtype)
        val_truth = t_val
    else:
        if params.standardize:
            mean, scale = column_stats(t_train)
            y_mean, y_scale = mean.astype(dtype), scale.astype(dtype)
            m64, s64 = y_mean.astype(np.float64), y_scale.astype(np.float64)
            t_train = (t_train - m64) / s64
            t_val = None if t_val is None else (t_val - m64) / s64
        Y_train = t_train.astype(dtype)
        Y_val = None if t_val is None else t_val.astype(dtype)
        val_truth = t_val

    return PreparedData(
        n_samples=n,
        n_features=X.shape[1],
        n_outputs=n_outputs,
        classes=classes,
        X_train=xp.asarray(X_train),
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
    )


def _rows(X: np.ndarray, idx: np.ndarray | None, dtype: Any, *, copy: bool) -> np.ndarray:
    """X[idx] as a C-contiguous ``dtype`` array, gathered in chunks (no full-size temporary)."""
    if idx is None:
        if copy:
            return np.array(X, dtype=dtype, order="C", copy=True)
        return np.ascontiguousarray(X, dtype=dtype)
    out = np.empty((idx.shape[0], X.shape[1]), dtype=dtype)
    rows = max(1, _CHUNK_ELEMENTS // max(1, X.shape[1]))
    for start in range(0, idx.shape[0], rows):
        out[start : start + rows] = X[idx[start : start + rows]]
    return out


def _standardize_inplace(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> None:
    # the same two operations as preprocessing.standardize, so predict reproduces training
    X -= mean
    X /= scale
