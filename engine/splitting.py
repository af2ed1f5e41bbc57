"""The validation split of early stopping (stratified for single-label classification).

It refuses the splits scikit-learn refuses (``train_test_split`` inside MLP's early stopping):
fewer than 2 validation rows; and, stratified, a class with a single member, or fewer
validation or training rows than classes. The rows are drawn with the engine's own generator,
so the split is not scikit-learn's row for row.
"""

from __future__ import annotations

import numpy as np

from engine.errors import ParamError
from engine.params import validation_size

MIN_VALIDATION_ROWS = 2


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
    if labels is None:
        check_split(n_samples, n_val, validation_fraction)
    else:
        present = np.bincount(labels)
        present = present[present > 0]
        check_split(n_samples, n_val, validation_fraction, present.size, int(present.min()))
    if labels is None:
        val = rng.permutation(n_samples)[:n_val]
    else:
        val = _stratified(labels, n_val, rng)
    mask = np.ones(n_samples, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask), np.sort(val)


def check_split(
    n_samples: int,
    n_val: int,
    fraction: float,
    n_classes: int = 0,
    smallest_class: int | None = None,
) -> None:
    """ParamError when early stopping cannot split these rows (see the module's docstring).
    ``n_classes`` > 0: the split is stratified over that many classes, the smallest of which
    has ``smallest_class`` rows (None: unknown yet)."""
    advice = "use more data, another validation_fraction, or early_stopping=false"
    if n_val < MIN_VALIDATION_ROWS or n_val >= n_samples:
        raise ParamError(
            "validation_fraction",
            f"early stopping with validation_fraction={fraction:g} holds out {n_val} of the "
            f"{n_samples} rows; it needs at least {MIN_VALIDATION_ROWS} for validation and 1 "
            f"for training: {advice}",
        )
    if n_classes == 0:
        return
    if smallest_class is not None and smallest_class < 2:
        raise ParamError(
            "early_stopping",
            "the stratified validation split needs at least 2 rows of every class, and a "
            "class has only 1: use more data or early_stopping=false",
        )
    if n_val < n_classes or n_samples - n_val < n_classes:
        raise ParamError(
            "validation_fraction",
            f"the stratified validation split of {n_samples} rows into {n_val} held out and "
            f"{n_samples - n_val} for training needs at least one row of each of the "
            f"{n_classes} classes on both sides: {advice}",
        )


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
