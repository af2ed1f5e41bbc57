"""Preprocessing that travels with the model: input/target standardization and label encoding."""

from __future__ import annotations

from typing import Any

import numpy as np

_CHUNK_ELEMENTS = 1 << 19  # bounds the float64 temporaries of the statistics (4 MiB)


def column_stats(
    X: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    rows: np.ndarray | None = None,
    via: np.dtype[Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation in float64, computed in row chunks; with
    ``weights``, weighted (as StandardScaler's sample_weight), so that a row of weight 2 counts
    as that row twice, in the statistics as in the loss.

    ``rows``: only these rows of X (``weights`` then has one per row named). ``via``: the
    statistics of X's values once converted to this dtype (the training dtype), chunk by chunk,
    without a converted copy of X.

    A constant column gets scale 1 (as scikit-learn's StandardScaler), so it maps to 0 instead of
    dividing by zero.
    """
    n = X.shape[0] if rows is None else rows.shape[0]
    step = max(1, _CHUNK_ELEMENTS // max(1, X.shape[1]))

    def chunk_at(start: int) -> np.ndarray:
        part = X[start : start + step] if rows is None else X[rows[start : start + step]]
        return part if via is None else part.astype(via, copy=False)

    total = np.zeros(X.shape[1], dtype=np.float64)
    for start in range(0, n, step):
        chunk = chunk_at(start)
        if weights is None:
            total += chunk.sum(axis=0, dtype=np.float64)
        else:
            total += weights[start : start + step] @ chunk.astype(np.float64)
    count = n if weights is None else float(weights.sum())
    mean = total / count
    sq = np.zeros_like(mean)
    for start in range(0, n, step):
        dev = chunk_at(start).astype(np.float64)
        dev -= mean
        if weights is None:
            sq += np.einsum("ij,ij->j", dev, dev)
        else:
            sq += np.einsum("i,ij,ij->j", weights[start : start + step], dev, dev)
    scale = np.sqrt(sq / count)
    constant = scale <= 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1e-300)
    scale[constant] = 1.0
    return mean, scale


def standardize(
    X: Any, mean: np.ndarray | None, scale: np.ndarray | None, dtype: Any
) -> np.ndarray:
    """(X - mean) / scale as a new C-contiguous ``dtype`` array (the statistics are in ``dtype``).

    Training and prediction both go through here, so a model predicts on its training rows exactly
    what it saw while training. Without statistics X is only converted (no copy if it already is
    a C-contiguous ``dtype`` array).
    """
    if mean is None or scale is None:
        return np.ascontiguousarray(X, dtype=dtype)
    out = np.array(X, dtype=dtype, order="C", copy=True)
    out -= mean
    out /= scale
    return out


def encode_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(classes sorted as np.unique sorts, index of each sample's class)."""
    if y.dtype == object:
        kinds = {type(v) for v in y.tolist()}
        if len(kinds) > 1:
            names = ", ".join(sorted(k.__name__ for k in kinds))
            raise ValueError(f"y: class labels must all have one type, got a mix of {names}")
        y = np.asarray(y.tolist())
    if y.dtype.kind not in "biufU":
        raise ValueError(f"y: class labels must be numbers, strings or booleans, got {y.dtype}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y: class labels must be finite (no NaN or inf)")
    classes, indices = np.unique(y, return_inverse=True)
    return classes, indices.reshape(-1).astype(np.int64)


def one_hot(indices: np.ndarray, n_classes: int, dtype: Any) -> np.ndarray:
    """[n, n_classes] targets; for two classes one column holding 1 for the second class."""
    if n_classes == 2:
        return indices.reshape(-1, 1).astype(dtype)
    out = np.zeros((indices.shape[0], n_classes), dtype=dtype)
    out[np.arange(indices.shape[0]), indices] = 1
    return out
