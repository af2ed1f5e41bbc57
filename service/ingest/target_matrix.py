"""Multi-column targets: one row of numbers per sample, all rows of the same width.

A matrix of 0s and 1s is a label matrix: stored as uint8 codes into ``[0, 1]`` (its values),
``categorical``, so a job may classify it (multilabel: one sigmoid output per column) or
regress on it. Any other numbers are ``continuous`` (multi-output regression), stored as
float64, within float32's range since models train in float32. Labels (strings) have no place
in a matrix: a multilabel target is written as 0/1 columns, one per label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .dataset import EncodedTarget
from .errors import STATUS_TOO_LARGE, DatasetError, Loc
from .limits import IngestLimits
from .numeric import beyond_float32

#: The error for a problem in the cell at (row, column) of the target matrix.
CellError = Callable[[int, int, str], DatasetError]


def check_target_count(n_targets: int, limits: IngestLimits, *, loc: Loc) -> None:
    """A model has one output per target column: as bounded as its classes are."""
    if n_targets > limits.max_classes:
        raise DatasetError.at(
            loc,
            f"the target has {n_targets:,} columns; at most {limits.max_classes:,} are allowed "
            "(MLPFORGE_MAX_CLASSES bounds a model's outputs)",
            status=STATUS_TOO_LARGE,
        )


def classify_target_matrix(y: np.ndarray, *, refuse: CellError) -> EncodedTarget:
    """A 2-D numeric (or boolean) target of two or more columns, encoded (see the module)."""
    if y.ndim != 2 or y.shape[1] < 2:
        raise ValueError(f"expected a target matrix of 2 or more columns, got shape {y.shape}")
    if y.dtype.kind == "b":
        return EncodedTarget(y.astype(np.uint8), "categorical", [0, 1])
    if y.dtype.kind not in "iuf":
        raise TypeError(f"unsupported target dtype {y.dtype}")
    values = y.astype(np.float64)
    bad = beyond_float32(values, "the target")
    if bad is not None:
        (row, column), problem = bad
        raise refuse(row, column, problem)
    if ((values == 0) | (values == 1)).all():
        return EncodedTarget(values.astype(np.uint8), "categorical", [0, 1])
    return EncodedTarget(values, "continuous", None)
