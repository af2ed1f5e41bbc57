"""Cross-validation folds of a search's trials, as row indices: nothing is copied in Redis.

Every trial of a search uses the same folds (the same ``seed``), so candidates are compared on
the same rows, as GridSearchCV's ``cv=k`` does. Rows are shuffled with ``seed`` and dealt
round-robin into ``k`` folds — class by class for classification (stratified, as
StratifiedKFold), so each fold has every class in proportion; fold sizes differ by at most one
row. Trial ``index`` trains on the other ``k - 1`` folds and is scored on fold ``index``.
"""

from __future__ import annotations

import math

import numpy as np


def assignment(n_rows: int, k: int, seed: int, labels: np.ndarray | None = None) -> np.ndarray:
    """The fold (0..k-1) of each row. ``labels``: class codes, to stratify by."""
    if not 2 <= k <= n_rows:
        raise ValueError(f"cv: {k} folds of {n_rows} rows; need 2 <= cv <= the number of rows")
    rng = np.random.default_rng(seed)
    folds = np.empty(n_rows, dtype=np.int64)
    if labels is None:
        folds[rng.permutation(n_rows)] = np.arange(n_rows) % k
        return folds
    dealt = 0
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        # Continue the deal where the previous class stopped, so that the folds stay balanced.
        folds[members] = (dealt + np.arange(members.shape[0])) % k
        dealt += members.shape[0]
    return folds


def split(
    n_rows: int, k: int, index: int, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows) of fold ``index``, as sorted indices."""
    if not 0 <= index < k:
        raise ValueError(f"fold index {index} is not one of the {k} folds")
    folds = assignment(n_rows, k, seed, labels)
    return np.flatnonzero(folds != index), np.flatnonzero(folds == index)


def smallest_training_rows(n_rows: int, k: int) -> int:
    """The fewest rows any fold trains on: all but the largest fold."""
    return n_rows - math.ceil(n_rows / k)
