"""Per-row sample weights: one finite, non-negative number per row, not all zero.

The engine refuses the same (scikit-learn's weights may be negative; a negative weight makes the
loss unbounded below), but only once a worker has the data: an upload is checked here, naming
the row. Weights train in the model's dtype, so they must fit float32 as features do.
"""

from __future__ import annotations

import numpy as np

from .numeric import beyond_float32, first_false
from .targets import RowError


def check_weights(w: np.ndarray, *, refuse: RowError) -> np.ndarray:
    """``w`` (1-D, numbers or booleans) as float64, or the error naming the first bad row."""
    values = np.asarray(w).astype(np.float64)
    bad = beyond_float32(values, "a weight")
    if bad is not None:
        (row,), problem = bad
        raise refuse(row, problem)
    negative = first_false(values >= 0)
    if negative is not None:
        (row,) = negative
        raise refuse(
            row, f"the weight {float(values[row])!r} is negative; weights must be 0 or more"
        )
    if not values.any():
        raise refuse(None, "every weight is 0; at least one row must have a positive weight")
    return values
