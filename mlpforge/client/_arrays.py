"""What the client takes as ``X`` and ``y`` (arrays, lists, pandas objects), and the numpy
arrays it gives labels back as."""

from __future__ import annotations

from typing import Any

import numpy as np


def feature_array(X: Any) -> np.ndarray:
    """``X`` as a 2-D array of numbers."""
    array = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("X must hold numbers only") from None
    if array.ndim != 2:
        raise ValueError(f"X must be 2-D (rows × features); got an array of shape {array.shape}")
    return array


def target_array(y: Any) -> np.ndarray:
    """``y`` as an array of one value type (an object array of Python values is narrowed)."""
    array = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if array.dtype == object:
        kinds = {type(value) for value in array.ravel().tolist()}
        if kinds <= {str}:
            array = array.astype(str)
        elif kinds <= {bool}:
            array = array.astype(bool)
        elif kinds <= {int, float} and not kinds <= {bool}:
            array = array.astype(np.float64 if float in kinds else np.int64)
        else:
            names = ", ".join(sorted(kind.__name__ for kind in kinds))
            raise TypeError(f"y mixes value types ({names}); use one type for every label")
    return array


def labels_array(values: list[Any]) -> np.ndarray:
    """Labels as a numpy array of their own type: strings stay strings, integers integers;
    a mix of types (which a server never sends for one model) becomes an object array."""
    kinds = {type(value) for value in values}
    if not values:
        return np.asarray(values)
    if kinds <= {str}:
        return np.asarray(values, dtype=str)
    if kinds <= {bool}:
        return np.asarray(values, dtype=bool)
    if kinds <= {int}:
        return np.asarray(values, dtype=np.int64)
    if kinds <= {int, float} or kinds <= {list}:
        return np.asarray(values, dtype=np.float64)
    return np.asarray(values, dtype=object)


def is_dataframe(value: Any) -> bool:
    return hasattr(value, "to_csv") and hasattr(value, "columns") and hasattr(value, "iloc")
