"""Checks of the training data: shapes, types and finiteness, with messages naming X or y."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.params import Task
from engine.preprocessing import encode_labels

_CHUNK_ELEMENTS = 1 << 20  # bounds the boolean temporary of the finiteness check


def check_features(X: Any) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"X: features must be numbers ({exc})") from exc
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array [n_samples, n_features], got shape {X.shape}")
    if X.shape[0] < 1:
        raise ValueError("X: need at least 1 sample, got 0")
    if X.shape[1] < 1:
        raise ValueError("X: need at least 1 feature, got 0")
    rows = max(1, _CHUNK_ELEMENTS // X.shape[1])
    for start in range(0, X.shape[0], rows):
        if not np.isfinite(X[start : start + rows]).all():
            raise ValueError("X: features must be finite (no NaN or inf)")
    return X


def check_classification_targets(
    y: Any, n_samples: int, classes: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """(classes, class index per sample), or for a multilabel target (a 0/1 indicator matrix
    of two or more columns) (arange(n_labels), the indicator matrix as uint8) — scikit-learn's
    classes_ for such targets.

    With ``classes`` (the labels, sorted and distinct), ``y`` already holds each sample's index
    into them: a dataset stored as codes trains without ever rebuilding its labels per sample.
    """
    y = _same_length(y, n_samples)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim == 2 and classes is None:
        return np.arange(y.shape[1]), check_indicator(y)
    if y.ndim != 1:
        raise ValueError(
            f"y: classification needs one label per sample or a 0/1 indicator matrix "
            f"(multilabel), got shape {y.shape}"
        )
    if classes is None:
        table, indices = encode_labels(y)
    else:
        table = check_class_table(classes)
        indices = check_class_indices(y, table.shape[0])
    if table.shape[0] < 2:
        raise ValueError(f"y: classification needs at least 2 classes, got {table.shape[0]}")
    return table, indices


def check_indicator(y: np.ndarray) -> np.ndarray:
    """A multilabel target: every value 0 or 1 (booleans, integers or floats)."""
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        raise ValueError(
            "y: a 2-D classification target must be a 0/1 indicator matrix (multilabel), "
            "one column per label"
        )
    return y.astype(np.uint8)


def onto_classes(table: np.ndarray, indices: np.ndarray, model_classes: np.ndarray) -> np.ndarray:
    """Indices into ``table`` turned into indices into ``model_classes`` (a model's classes, when
    training continues on data whose labels may be a subset of them)."""
    position = {label: i for i, label in enumerate(model_classes.tolist())}
    kinds = {type(label) for label in model_classes.tolist()}
    unknown = [
        label for label in table.tolist() if type(label) not in kinds or label not in position
    ]
    if unknown:
        raise ValueError(f"y: labels the model does not know: {unknown[:5]}")
    mapping = np.array([position[label] for label in table.tolist()], dtype=np.int64)
    return mapping[indices]


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """Weights as float64 [n_samples]: finite, non-negative, not all zero (None stays None)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 0:  # scikit-learn: a scalar weighs every sample alike
        w = np.full(n_samples, w)
    if w.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight: must hold numbers, got {w.dtype}")
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight: expected shape ({n_samples},), got {w.shape}")
    w = w.astype(np.float64)
    if not np.isfinite(w).all():
        raise ValueError("sample_weight: must be finite (no NaN or inf)")
    if (w < 0).any():
        raise ValueError("sample_weight: must be non-negative")
    if not w.sum() > 0:
        raise ValueError("sample_weight: at least one weight must be positive")
    return w


def check_class_table(classes: Any) -> np.ndarray:
    """Class labels as a 1-D array, sorted and distinct as ``np.unique`` leaves them."""
    table = np.asarray(classes)
    if table.ndim != 1 or table.dtype.kind not in "biufU":
        raise ValueError(
            "classes: expected a list of numbers, strings or booleans, "
            f"got {table.dtype} of shape {table.shape}"
        )
    if table.dtype.kind == "f" and not np.isfinite(table).all():
        raise ValueError("classes: class labels must be finite (no NaN or inf)")
    if not (table[1:] > table[:-1]).all():
        raise ValueError("classes: must be sorted and distinct")
    return table


def check_class_indices(y: np.ndarray, n_classes: int) -> np.ndarray:
    """``y`` as int64 indices into ``n_classes`` classes."""
    if y.dtype.kind not in "iu":
        raise ValueError(f"y: with classes given, y must hold class indices, got {y.dtype}")
    if y.size:
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= n_classes:
            bad = low if low < 0 else high
            raise ValueError(f"y: class indices must lie in [0, {n_classes}), got {bad}")
    return y.astype(np.int64)


def check_regression_targets(
    y: Any, n_samples: int, classes: Any = None, loss: str | None = None
) -> np.ndarray:
    """Targets as float64 [n_samples, n_targets].

    With ``classes``, ``y`` holds indices into them and the targets are those values.
    """
    y = _same_length(y, n_samples)
    if classes is not None:
        table = check_class_table(classes)
        y = table[check_class_indices(y.reshape(-1), table.shape[0])].reshape(y.shape)
    if y.dtype.kind not in "iuf":
        if y.dtype.kind == "O":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"y: regression needs numeric targets ({exc})") from exc
        else:
            raise ValueError(f"y: regression needs numeric targets, got {y.dtype}")
    if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] < 1):
        raise ValueError(f"y: expected shape [n_samples] or [n_samples, n_targets], got {y.shape}")
    y = y.astype(np.float64).reshape(n_samples, -1)
    if not np.isfinite(y).all():
        raise ValueError("y: targets must be finite (no NaN or inf)")
    if loss == "poisson" and (y < 0).any():
        raise ValueError("y: loss 'poisson' needs non-negative targets (counts, rates)")
    return y


def check_task(task: Any) -> Task:
    if task not in ("classification", "regression"):
        raise ValueError(f"task: must be 'classification' or 'regression', got {task!r}")
    return task  # type: ignore[no-any-return]


def _same_length(y: Any, n_samples: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n_samples:
        got = 0 if y.ndim == 0 else y.shape[0]
        raise ValueError(f"y: has {got} entries but X has {n_samples} samples")
    return y
