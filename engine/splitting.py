"""The validation split of early stopping.

It refuses what scikit-learn's early stopping refuses (``train_test_split`` inside MLP): fewer
than 2 validation rows, or no row left to train on; and for a binary target, which scikit-learn
splits stratified, a class of a single row or fewer rows on either side than classes.
scikit-learn splits multiclass and multilabel targets at random; the engine stratifies a
multiclass target whenever every class can be on both sides (a better estimate of the score)
and splits at random, as scikit-learn, when not. The rows are drawn with the engine's own
generator, so the split is not scikit-learn's row for row.
"""

from __future__ import annotations

import numpy as np

from engine.errors import ParamError
from engine.params import validation_size

MIN_VALIDATION_ROWS = 2
_ADVICE = "use more data, another validation_fraction, or early_stopping=false"


def train_validation_split(
    n_samples: int,
    validation_fraction: float,
    rng: np.random.Generator,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, validation) indices; ceil(fraction * n) samples are held out.

    With ``labels`` (class indices) every class is split in proportion (largest remainders get
    the leftover slots) and keeps at least one sample in training.
    """
    n_val = validation_size(n_samples, validation_fraction)
    check_split(n_samples, n_val, validation_fraction)
    val = None
    if labels is not None:
        counts = np.bincount(labels)
        binary = counts.shape[0] == 2
        if _stratifiable(n_samples, n_val, counts[counts > 0], raise_why=binary):
            val = _stratified(labels, n_val, rng)
    if val is None:
        val = rng.permutation(n_samples)[:n_val]
    mask = np.ones(n_samples, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask), np.sort(val)


def check_split(n_samples: int, n_val: int, fraction: float, n_classes: int = 0) -> None:
    """ParamError when early stopping cannot split ``n_samples`` rows into ``n_val`` held out
    and the rest; ``n_classes`` == 2: a binary target, split stratified (what is known before
    the rows are: both sides need a row of each class)."""
    held_out = f"early stopping with validation_fraction={fraction:g} holds out {n_val} of the "
    if n_val >= n_samples:
        raise ParamError(
            "validation_fraction",
            f"{held_out}{n_samples} rows, which leaves none for training: {_ADVICE}",
        )
    if n_val < MIN_VALIDATION_ROWS:
        raise ParamError(
            "validation_fraction",
            f"{held_out}{n_samples} rows; a validation score needs at least "
            f"{MIN_VALIDATION_ROWS} (as scikit-learn's): {_ADVICE}",
        )
    if n_classes == 2:
        _stratifiable(n_samples, n_val, np.array([2, 2]), raise_why=True)


def _stratifiable(n_samples: int, n_val: int, present: np.ndarray, *, raise_why: bool) -> bool:
    n_classes = int(present.shape[0])
    if present.min() < 2:
        if raise_why:
            raise ParamError(
                "early_stopping",
                "the stratified validation split of a binary target needs at least 2 rows of "
                "each class, and a class has only 1: use more data or early_stopping=false",
            )
        return False
    if n_val < n_classes or n_samples - n_val < n_classes:
        if raise_why:
            raise ParamError(
                "validation_fraction",
                f"the stratified validation split of {n_samples} rows into {n_val} held out "
                f"and {n_samples - n_val} for training needs a row of each of the "
                f"{n_classes} classes on both sides: {_ADVICE}",
            )
        return False
    return True


def _stratified(labels: np.ndarray, n_val: int, rng: np.random.Generator) -> np.ndarray:
    counts = np.bincount(labels)
    capacity = np.maximum(counts - 1, 0)
    exact = counts * (n_val / labels.shape[0])
    take = np.minimum(np.floor(exact).astype(np.int64), capacity)
    # hand out the remaining slots by largest remainder, among classes with room left
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    remaining = n_val - int(take.sum())
    while remaining > 0 and (capacity - take).sum() > 0:
        for k in order:
            if remaining == 0:
                break
            if take[k] < capacity[k]:
                take[k] += 1
                remaining -= 1
    chosen = []
    for k in range(counts.shape[0]):
        members = np.flatnonzero(labels == k)
        chosen.append(rng.permutation(members)[: take[k]])
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
