"""Scores of fitted models, in numpy (scikit-learn's definitions)."""

from __future__ import annotations

from typing import Any

import numpy as np


def accuracy(y_true: Any, y_pred: Any) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred))


def log_loss(y_true: Any, proba: Any, classes: Any = None) -> float:
    """Mean negative log-likelihood; probabilities clipped to [eps, 1 - eps] (float64 eps).

    ``proba`` is [n, n_classes] with columns ordered as ``classes`` (default: np.unique(y_true)).
    """
    y_true = np.asarray(y_true)
    p = np.asarray(proba, dtype=np.float64)
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    if p.shape[1] != classes.shape[0]:
        raise ValueError(f"proba has {p.shape[1]} columns for {classes.shape[0]} classes")
    idx = np.searchsorted(classes, y_true)
    if np.any(idx >= classes.shape[0]) or np.any(
        classes[np.minimum(idx, len(classes) - 1)] != y_true
    ):
        raise ValueError("y_true holds a label that is not among the classes")
    eps = np.finfo(np.float64).eps
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(np.log(p[np.arange(p.shape[0]), idx])))


def macro_f1(y_true: Any, y_pred: Any) -> float:
    """Unweighted mean of the per-class F1 over the labels in y_true or y_pred."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels, inv = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    t, p = inv[: y_true.shape[0]], inv[y_true.shape[0] :]
    k = labels.shape[0]
    tp = np.bincount(t[t == p], minlength=k).astype(np.float64)
    n_true = np.bincount(t, minlength=k).astype(np.float64)
    n_pred = np.bincount(p, minlength=k).astype(np.float64)
    denom = n_true + n_pred
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1.mean())


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination, averaged uniformly over outputs.

    An output whose true values are constant scores 1.0 if predicted exactly, else 0.0
    (scikit-learn's convention).
    """
    t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    ss_res = ((t - p) ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.ones(t.shape[1])
    nonzero = ss_tot != 0
    scores[nonzero] = 1.0 - ss_res[nonzero] / ss_tot[nonzero]
    scores[~nonzero & (ss_res != 0)] = 0.0
    return float(scores.mean())


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, averaged uniformly over outputs."""
    t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    return float(np.sqrt(((t - p) ** 2).mean(axis=0)).mean())


def mae(y_true: Any, y_pred: Any) -> float:
    t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    return float(np.abs(t - p).mean())


def classification_metrics(y_true: Any, proba: Any, classes: Any) -> dict[str, float]:
    classes = np.asarray(classes)
    y_pred = classes[np.argmax(np.asarray(proba), axis=1)]
    return {
        "accuracy": accuracy(y_true, y_pred),
        "log_loss": log_loss(y_true, proba, classes),
        "macro_f1": macro_f1(y_true, y_pred),
    }


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    return {"r2": r2(y_true, y_pred), "rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred)}
