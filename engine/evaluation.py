"""A fitted model's scores on a set of rows, in the target's units, predicted in chunks.

Rows go through ``FittedModel.predict_proba`` / ``predict`` — the path every prediction takes —
a chunk at a time, so that the memory held is the chunk's activations plus O(rows) results
(never [rows, n_classes] probabilities), and the cost is one forward pass over the rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine import metrics
from engine.model import FittedModel

# Rows per chunk × the widest layer: ~16 MB of float32 activations.
CHUNK_ELEMENTS = 1 << 22

Scores = dict[str, float | int | None]


def model_codes(classes: np.ndarray, y: np.ndarray, y_classes: Sequence[Any] | None) -> np.ndarray:
    """Each row's index into the model's ``classes``.

    ``y_classes`` given: ``y`` holds codes into that table (a stored categorical target);
    without, ``y`` holds the labels. A ValueError names a label the model does not know.
    """
    position = {label: i for i, label in enumerate(classes.tolist())}
    if y_classes is not None:
        unknown = [label for label in y_classes if label not in position]
        if unknown:
            raise ValueError(f"labels the model does not know: {unknown[:5]}")
        mapping = np.array([position[label] for label in y_classes], dtype=np.int64)
        return mapping[np.asarray(y, dtype=np.int64)]
    try:
        codes = np.minimum(np.searchsorted(classes, y), classes.shape[0] - 1)
        known = classes[codes] == y
    except TypeError as exc:  # labels of another type than the classes'
        raise ValueError(f"labels the model does not know ({exc})") from None
    if not np.all(known):
        raise ValueError(f"labels the model does not know: {np.asarray(y)[~known][:5].tolist()}")
    return codes.astype(np.int64)


def score(
    model: FittedModel,
    X: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray | None,
    sample_weight: np.ndarray | None = None,
) -> Scores:
    """Scores of ``model`` on ``X[rows]`` (all rows when None), each weighted by
    ``sample_weight`` (one per row of ``X``) as scikit-learn's metrics weigh them.

    Classification (``y``: codes into ``model.classes_``): accuracy, balanced_accuracy,
    f1_macro, log_loss and, with two classes, roc_auc. Multilabel (``y``: the 0/1 indicator
    matrix): accuracy (every label right), f1_macro and roc_auc averaged over the labels, as
    scikit-learn's; balanced_accuracy and log_loss are not defined for it (None). Regression
    (``y``: target values): rmse, mae, r2. A score the data leaves undefined (roc_auc with one
    class present, r2 of one row) is None. ``n_samples`` counts the rows.
    """
    n = X.shape[0] if rows is None else rows.shape[0]
    if n == 0:
        raise ValueError("no rows to score")
    widest = max(model.n_features_in_, model.n_outputs_, *model.hidden_layer_sizes)
    chunk = max(1, CHUNK_ELEMENTS // widest)
    spans = [(start, min(start + chunk, n)) for start in range(0, n, chunk)]

    def rows_of(start: int, stop: int) -> np.ndarray | slice:
        return slice(start, stop) if rows is None else rows[start:stop]

    truth = np.asarray(y)[rows_of(0, n)]
    w = None if sample_weight is None else np.asarray(sample_weight, np.float64)[rows_of(0, n)]
    if model.multilabel:
        scores = _multilabel(model, X, truth, spans, rows_of, w)
    elif model.task == "classification":
        scores = _classification(model, X, truth, spans, rows_of, w)
    else:
        predicted = np.concatenate([model.predict(X[rows_of(*span)]) for span in spans])
        scores = {
            "rmse": metrics.rmse(truth, predicted, w),
            "mae": metrics.mae(truth, predicted, w),
            # scikit-learn's r2_score is NaN for fewer than two rows
            "r2": metrics.r2(truth, predicted, w) if n > 1 else math.nan,
        }
    finite: Scores = {k: v if v is None or math.isfinite(v) else None for k, v in scores.items()}
    return {"n_samples": n, **finite}


def _classification(
    model: FittedModel,
    X: np.ndarray,
    codes: np.ndarray,
    spans: list[tuple[int, int]],
    rows_of: Any,
    w: np.ndarray | None,
) -> dict[str, float | None]:
    n = codes.shape[0]
    binary = model.classes_ is not None and model.classes_.shape[0] == 2
    predicted = np.empty(n, dtype=np.int64)
    positive = np.empty(n) if binary else None
    loss_sum = 0.0
    for start, stop in spans:
        proba = model.predict_proba(X[rows_of(start, stop)])
        predicted[start:stop] = np.argmax(proba, axis=1)
        chunk_w = None if w is None else w[start:stop]
        weight = (stop - start) if chunk_w is None else float(chunk_w.sum())
        if weight > 0:
            loss_sum += metrics.log_loss(codes[start:stop], proba, chunk_w) * weight
        if positive is not None:
            positive[start:stop] = proba[:, 1]
    return {
        "accuracy": metrics.accuracy(codes, predicted, w),
        "balanced_accuracy": metrics.balanced_accuracy(codes, predicted, w),
        "f1_macro": metrics.f1_macro(codes, predicted, w),
        "log_loss": loss_sum / (n if w is None else float(w.sum())),
        "roc_auc": None if positive is None else metrics.roc_auc(codes, positive, w),
    }


def _multilabel(
    model: FittedModel,
    X: np.ndarray,
    truth: np.ndarray,
    spans: list[tuple[int, int]],
    rows_of: Any,
    w: np.ndarray | None,
) -> dict[str, float | None]:
    proba = np.concatenate([model.predict_proba(X[rows_of(*span)]) for span in spans])
    truth = truth.astype(bool)
    predicted = proba > 0.5
    rows = np.ones(truth.shape[0]) if w is None else w
    hits = ((truth & predicted) * rows[:, None]).sum(axis=0)
    wrong = ((truth != predicted) * rows[:, None]).sum(axis=0)
    f1 = np.divide(2 * hits, 2 * hits + wrong, out=np.zeros(truth.shape[1]), where=hits + wrong > 0)
    aucs = [metrics.roc_auc(truth[:, k], proba[:, k], w) for k in range(truth.shape[1])]
    return {
        "accuracy": metrics.accuracy((truth == predicted).all(axis=1), True, w),
        "balanced_accuracy": None,
        "f1_macro": float(f1.mean()),
        "log_loss": None,
        "roc_auc": float(np.mean(aucs)),
    }
