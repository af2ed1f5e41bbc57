"""The estimator's parameters as the engine takes them: ``MLPParams``, with a seed and a dtype."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from engine import MLPParams
from mlpforge.estimators._constraints import engine_fields


def engine_params(
    estimator: Any, dtype: np.dtype[Any], *, max_iter: int | None = None
) -> MLPParams:
    """``MLPParams`` from every estimator parameter the engine knows (the engine normalizes
    numpy scalars itself). ``dtype`` is the resolved training dtype (``training_dtype``)."""
    known = engine_fields()
    values = {
        name: value for name, value in estimator.get_params(deep=False).items() if name in known
    }
    values["hidden_layer_sizes"] = tuple(
        int(units) for units in np.atleast_1d(np.asarray(estimator.hidden_layer_sizes)).ravel()
    )
    values["random_state"] = seed(estimator.random_state)
    values["dtype"] = dtype.name
    if max_iter is not None:
        values["max_iter"] = max_iter
    return MLPParams(**values)


def seed(random_state: Any) -> int | None:
    """None stays None (fresh entropy per fit); an int is the seed; a RandomState gives one draw,
    so that two fits sharing it differ, as scikit-learn's do."""
    if random_state is None:
        return None
    if isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def training_dtype(dtype: Any, X: np.ndarray) -> np.dtype[Any]:
    """scikit-learn's rule by default: float32 data trains in float32, anything else in
    float64."""
    if dtype is None:
        return np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
    return np.dtype(dtype)
