"""Scores of fitted models: scikit-learn's definitions, vectorised in numpy.

Classification scores take class codes — each row's index into the model's classes — so labels
never need comparing; regression scores take values in the target's units, 1-D or
[n, n_outputs], averaged uniformly over outputs (scikit-learn's default).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def accuracy(y_true: Any, y_pred: Any) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred))


def _counts(true_codes: Any, pred_codes: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true positives, rows, predictions) per class code."""
    t = np.asarray(true_codes, dtype=np.int64)
    p = np.asarray(pred_codes, dtype=np.int64)
    k = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    tp = np.bincount(t[t == p], minlength=k).astype(np.float64)
    return tp, np.bincount(t, minlength=k).astype(np.float64), np.bincount(p, minlength=k)


def balanced_accuracy(true_codes: Any, pred_codes: Any) -> float:
    """The mean recall of the classes present in ``true_codes`` (balanced_accuracy_score)."""
    tp, n_true, _ = _counts(true_codes, pred_codes)
    present = n_true > 0
    return float(np.mean(tp[present] / n_true[present]))


def f1_macro(true_codes: Any, pred_codes: Any) -> float:
    """Unweighted mean F1 over the classes that occur as a truth or a prediction
    (f1_score(average="macro"))."""
    tp, n_true, n_pred = _counts(true_codes, pred_codes)
    seen = (n_true + n_pred) > 0
    return float(np.mean(2 * tp[seen] / (n_true + n_pred)[seen]))


def log_loss(true_codes: Any, proba: Any) -> float:
    """Mean negative log-probability of each row's class; ``proba`` is [n, n_classes] in code
    order, clipped to [eps, 1 - eps] with its own dtype's eps (as scikit-learn does)."""
    p = np.asarray(proba)
    codes = np.asarray(true_codes, dtype=np.int64)
    eps = np.finfo(p.dtype if p.dtype.kind == "f" else np.float64).eps
    picked = np.clip(p[np.arange(p.shape[0]), codes], eps, 1 - eps)
    return float(-np.mean(np.log(picked.astype(np.float64))))


def roc_auc(true_codes: Any, positive_score: Any) -> float:
    """Area under the ROC curve of a binary problem (roc_auc_score): the probability that a
    random positive (code 1) scores above a random negative, ties counting one half — the
    Mann-Whitney statistic over average ranks. NaN when one class is absent."""
    positive = np.asarray(true_codes) == 1
    n_pos = int(positive.sum())
    n_neg = positive.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(np.asarray(positive_score, dtype=np.float64))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their ranks (scipy's rankdata)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], ordered.shape[0]]
    group = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
    ranks = np.empty(values.shape[0])
    ranks[order] = ((starts + ends + 1) / 2)[group]
    return ranks


def _columns(y: Any) -> np.ndarray:
    a = np.asarray(y, dtype=np.float64)
    return a.reshape(a.shape[0], -1)


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error (root_mean_squared_error)."""
    t, p = _columns(y_true), _columns(y_pred)
    return float(np.sqrt(((t - p) ** 2).mean(axis=0)).mean())


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error (mean_absolute_error)."""
    t, p = _columns(y_true), _columns(y_pred)
    return float(np.abs(t - p).mean(axis=0).mean())


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination (r2_score).

    An output whose true values are constant scores 1.0 if predicted exactly, else 0.0
    (scikit-learn's convention; for a single row scikit-learn gives NaN, see
    engine.evaluation).
    """
    t, p = _columns(y_true), _columns(y_pred)
    ss_res = ((t - p) ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.ones(t.shape[1])
    nonzero = ss_tot != 0
    scores[nonzero] = 1.0 - ss_res[nonzero] / ss_tot[nonzero]
    scores[~nonzero & (ss_res != 0)] = 0.0
    return float(scores.mean())
