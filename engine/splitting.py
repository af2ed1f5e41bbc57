"""The validation split of early stopping (stratified for classification)."""

from __future__ import annotations

import numpy as np

from engine.params import validation_size


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
        perm = rng.permutation(n_samples)
        val = perm[:n_val]
    else:
        val = _stratified(labels, n_val, rng)
    if val.size < 1 or val.size >= n_samples:
        raise ValueError(
            f"validation_fraction: {validation_fraction:g} of {n_samples} samples leaves "
            f"{val.size} for validation and {n_samples - val.size} for training; "
            "both need at least one (use more data or another fraction)"
        )
    mask = np.ones(n_samples, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask), np.sort(val)


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
