"""Deciding whether a target is categorical or continuous, and normalizing its dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from .dataset import TargetKind

#: Integer targets with at most this many distinct values are classes; more is a quantity.
MAX_CATEGORICAL_CLASSES = 100

# Floats at or beyond ±2**63 cannot be int64; float(2**63) itself is already out of range.
_INT64_BOUND = float(2**63)


def classify_target(y: np.ndarray) -> tuple[np.ndarray, TargetKind, list[Any] | None]:
    """Normalize ``y``'s dtype and decide its kind.

    * bool → bool, categorical; numpy unicode (``<U…``) → unchanged, categorical;
    * integers, and floats that are all integral (1.0, 2.0) → int64, categorical when there are
      at most :data:`MAX_CATEGORICAL_CLASSES` distinct values;
    * anything else numeric → float64, continuous.

    Returns ``(y, kind, classes)``; ``classes`` is the sorted distinct values as plain Python
    scalars for categorical targets, else None. ``y`` must be 1-D; bytes (``S``) must be decoded
    by the caller, and other dtypes (object, complex, ...) are a TypeError: rejecting them with a
    message a person can act on is the parsers' job.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    kind = y.dtype.kind
    if kind == "b":
        return y, "categorical", np.unique(y).tolist()
    if kind == "U":
        return y, "categorical", np.unique(y).tolist()
    if kind in "iu":
        as_int = _ints_as_int64(y)
    elif kind == "f":
        as_int = _integral_floats_as_int64(y)
    else:
        raise TypeError(f"unsupported target dtype {y.dtype}")
    if as_int is not None:
        distinct = np.unique(as_int)
        if distinct.size <= MAX_CATEGORICAL_CLASSES:
            return as_int, "categorical", distinct.tolist()
    return y.astype(np.float64), "continuous", None


def _ints_as_int64(y: np.ndarray) -> np.ndarray | None:
    # uint64 values above int64's range have no int64 form; treat them as a quantity.
    if y.dtype == np.uint64 and y.size and int(y.max()) > np.iinfo(np.int64).max:
        return None
    return y.astype(np.int64)


def _integral_floats_as_int64(y: np.ndarray) -> np.ndarray | None:
    """``y`` as int64 when every value is a finite whole number within int64's range."""
    if not y.size:
        return y.astype(np.int64)
    if not np.isfinite(y).all():
        return None
    if not (np.abs(y) < _INT64_BOUND).all() or not (y == np.trunc(y)).all():
        return None
    return y.astype(np.int64)
