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


def score(model: FittedModel, X: np.ndarray, y: np.ndarray, rows: np.ndarray | None) -> Scores:
    """Scores of ``model`` on ``X[rows]`` (all rows when None).

    Classification (``y``: codes into ``model.classes_``): accuracy, balanced_accuracy,
    f1_macro, log_loss and, with two classes, roc_auc. Regression (``y``: target values):
    rmse, mae, r2. A score the data leaves undefined (roc_auc with one class present, r2 of
    one row) is None. ``n_samples`` counts the rows.
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
    if model.task == "classification":
        scores = _classification(model, X, truth, spans, rows_of)
    else:
        predicted = np.concatenate([model.predict(X[rows_of(*span)]) for span in spans])
        scores = {
            "rmse": metrics.rmse(truth, predicted),
            "mae": metrics.mae(truth, predicted),
            # scikit-learn's r2_score is NaN for fewer than two rows
            "r2": metrics.r2(truth, predicted) if n > 1 else math.nan,
        }
    finite: Scores = {k: v if v is None or math.isfinite(v) else None for k, v in scores.items()}
    return {"n_samples": n, **finite}


def _classification(
    model: FittedModel,
    X: np.ndarray,
    codes: np.ndarray,
    spans: list[tuple[int, int]],
    rows_of: Any,
) -> dict[str, float | None]:
    n = codes.shape[0]
    binary = model.classes_ is not None and model.classes_.shape[0] == 2
    predicted = np.empty(n, dtype=np.int64)
    positive = np.empty(n) if binary else None
    loss_sum = 0.0
    for start, stop in spans:
        proba = model.predict_proba(X[rows_of(start, stop)])
        predicted[start:stop] = np.argmax(proba, axis=1)
        loss_sum += metrics.log_loss(codes[start:stop], proba) * (stop - start)
        if positive is not None:
            positive[start:stop] = proba[:, 1]
    return {
        "accuracy": metrics.accuracy(codes, predicted),
        "balanced_accuracy": metrics.balanced_accuracy(codes, predicted),
        "f1_macro": metrics.f1_macro(codes, predicted),
        "log_loss": loss_sum / n,
        "roc_auc": None if positive is None else metrics.roc_auc(codes, positive),
    }
