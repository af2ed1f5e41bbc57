"""The estimator's parameters as the engine takes them: ``MLPParams``, a seed and a dtype."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from engine import MLPParams
from mlpforge.estimators._constraints import engine_fields

# n_iter_no_change=inf (scikit-learn: never stop on patience) as a patience no fit outlasts;
# the engine counts patience in whole epochs.
PATIENCE_FOREVER = 2**31 - 1


def engine_params(
    estimator: Any,
    dtype: np.dtype[Any],
    *,
    max_iter: int | None = None,
    penalty_divisor: float = 1.0,
) -> MLPParams:
    """``MLPParams`` from every estimator parameter the engine knows (new engine fields, such
    as ``max_fun`` or ``dtype``, are passed on as soon as ``MLPParams`` has them). ``dtype`` is
    the resolved training dtype (see ``training_dtype``); the penalties are divided by
    ``penalty_divisor`` (equal sample weights, see ``check_weights``)."""
    known = engine_fields()
    values = {
        name: _plain(value)
        for name, value in estimator.get_params(deep=False).items()
        if name in known
    }
    values["hidden_layer_sizes"] = hidden_layer_sizes(estimator.hidden_layer_sizes)
    values["random_state"] = seed(estimator.random_state)
    if math.isinf(float(estimator.n_iter_no_change)):
        values["n_iter_no_change"] = PATIENCE_FOREVER
    if not estimator.early_stopping:
        # scikit-learn accepts 0 when nothing is held out; the engine checks it regardless
        values.pop("validation_fraction", None)
    if "dtype" in known:
        values["dtype"] = str(dtype)
    if penalty_divisor != 1.0:
        for name in ("alpha", "l1"):
            values[name] = float(values[name]) / penalty_divisor
    if max_iter is not None:
        values["max_iter"] = max_iter
    return MLPParams(**values)


def hidden_layer_sizes(value: Any) -> tuple[int, ...]:
    """scikit-learn takes an int or any sequence of ints (numpy ones included)."""
    return tuple(int(units) for units in np.atleast_1d(np.asarray(value)).ravel())


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


def _plain(value: Any) -> Any:
    """numpy scalars (GridSearchCV's np.arange values) as the Python numbers the engine wants."""
    return value.item() if isinstance(value, np.generic) else value
