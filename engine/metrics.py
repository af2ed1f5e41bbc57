"""Scores of fitted models: scikit-learn's definitions, vectorised in numpy.

Classification scores take class codes — each row's index into the model's classes — so labels
never need comparing; regression scores take values in the target's units, 1-D or
[n, n_outputs], averaged uniformly over outputs (scikit-learn's default). Every score takes
``sample_weight`` as scikit-learn's metrics do (None: every row counts once).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def accuracy(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """Share of rows predicted right, weighted by ``sample_weight`` (accuracy_score)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.average(y_true == y_pred, weights=sample_weight))


def _counts(
    true_codes: Any, pred_codes: Any, sample_weight: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(true positives, rows, predictions) per class code, weighted, and whether each code
    occurs at all (as a truth or a prediction, whatever its rows' weights)."""
    t = np.asarray(true_codes, dtype=np.int64)
    p = np.asarray(pred_codes, dtype=np.int64)
    k = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    hit = t == p
    tp = np.bincount(t[hit], None if w is None else w[hit], minlength=k).astype(np.float64)
    n_true = np.bincount(t, w, minlength=k).astype(np.float64)
    n_pred = np.bincount(p, w, minlength=k).astype(np.float64)
    seen = (np.bincount(t, minlength=k) + np.bincount(p, minlength=k)) > 0
    return tp, n_true, n_pred, seen


def balanced_accuracy(true_codes: Any, pred_codes: Any, sample_weight: Any = None) -> float:
    """The mean recall of the classes present in ``true_codes`` (balanced_accuracy_score)."""
    tp, n_true, _, _ = _counts(true_codes, pred_codes, sample_weight)
    present = n_true > 0
    return float(np.mean(tp[present] / n_true[present]))


def f1_macro(true_codes: Any, pred_codes: Any, sample_weight: Any = None) -> float:
    """Unweighted mean F1 over the classes that occur as a truth or a prediction
    (f1_score(average="macro")); a class whose rows all weigh 0 scores 0, as scikit-learn's
    zero_division."""
    tp, n_true, n_pred, seen = _counts(true_codes, pred_codes, sample_weight)
    total = (n_true + n_pred)[seen]
    f1 = np.divide(2 * tp[seen], total, out=np.zeros_like(total), where=total > 0)
    return float(np.mean(f1))


def log_loss(true_codes: Any, proba: Any, sample_weight: Any = None) -> float:
    """Mean negative log-probability of each row's class; ``proba`` is [n, n_classes] in code
    order, clipped to [eps, 1 - eps] with its own dtype's eps (as scikit-learn does)."""
    p = np.asarray(proba)
    codes = np.asarray(true_codes, dtype=np.int64)
    eps = np.finfo(p.dtype if p.dtype.kind == "f" else np.float64).eps
    picked = np.clip(p[np.arange(p.shape[0]), codes], eps, 1 - eps)
    return float(-np.average(np.log(picked.astype(np.float64)), weights=sample_weight))


def roc_auc(true_codes: Any, positive_score: Any, sample_weight: Any = None) -> float:
    """Area under the ROC curve of a binary problem (roc_auc_score): the probability that a
    random positive (code 1) scores above a random negative, ties counting one half — the
    Mann-Whitney statistic over average ranks. NaN when one class is absent."""
    if sample_weight is not None:
        return _weighted_roc_auc(true_codes, positive_score, sample_weight)
    positive = np.asarray(true_codes) == 1
    n_pos = int(positive.sum())
    n_neg = positive.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(np.asarray(positive_score, dtype=np.float64))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _weighted_roc_auc(true_codes: Any, positive_score: Any, sample_weight: Any) -> float:
    """The same statistic over pairs weighted by the product of their rows' weights: what the
    trapezoids under scikit-learn's weighted ROC curve add up to."""
    positive = np.asarray(true_codes) == 1
    w = np.asarray(sample_weight, dtype=np.float64)
    scores = np.asarray(positive_score, dtype=np.float64)
    w_pos, w_neg = float(w[positive].sum()), float(w[~positive].sum())
    if w_pos == 0 or w_neg == 0:
        return float("nan")
    values, group = np.unique(scores, return_inverse=True)
    pos = np.bincount(group, np.where(positive, w, 0.0), minlength=values.size)
    neg = np.bincount(group, np.where(positive, 0.0, w), minlength=values.size)
    below = np.cumsum(neg) - neg  # negative weight scoring strictly lower, per score value
    return float((pos * (below + 0.5 * neg)).sum() / (w_pos * w_neg))


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


def rmse(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """Root mean squared error (root_mean_squared_error)."""
    t, p = _columns(y_true), _columns(y_pred)
    return float(np.sqrt(np.average((t - p) ** 2, axis=0, weights=sample_weight)).mean())


def mae(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """Mean absolute error (mean_absolute_error)."""
    t, p = _columns(y_true), _columns(y_pred)
    return float(np.average(np.abs(t - p), axis=0, weights=sample_weight).mean())


def r2(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """Coefficient of determination (r2_score), weighted by ``sample_weight``.

    An output whose true values are constant scores 1.0 if predicted exactly, else 0.0
    (scikit-learn's convention; for a single row scikit-learn gives NaN, see
    engine.evaluation).
    """
    t, p = _columns(y_true), _columns(y_pred)
    w = np.ones((t.shape[0], 1)) if sample_weight is None else _columns(sample_weight)
    ss_res = (w * (t - p) ** 2).sum(axis=0)
    ss_tot = (w * (t - np.average(t, axis=0, weights=w[:, 0])) ** 2).sum(axis=0)
    scores = np.ones(t.shape[1])
    nonzero = ss_tot != 0
    scores[nonzero] = 1.0 - ss_res[nonzero] / ss_tot[nonzero]
    scores[~nonzero & (ss_res != 0)] = 0.0
    return float(scores.mean())
