"""Cross-validation folds: every row held out exactly once, balanced, stratified, seeded."""

from __future__ import annotations

import numpy as np
import pytest

from mlpforge.search import folds


@pytest.mark.parametrize("stratify", [False, True])
def test_every_row_is_held_out_once_and_folds_are_balanced(stratify: bool) -> None:
    n, k = 103, 5
    labels = np.array([0] * 70 + [1] * 25 + [2] * 8) if stratify else None
    held = [folds.split(n, k, i, seed=7, labels=labels)[1] for i in range(k)]
    assert sorted(np.concatenate(held).tolist()) == list(range(n))
    sizes = [h.shape[0] for h in held]
    assert max(sizes) - min(sizes) <= 1
    assert n - max(sizes) == folds.smallest_training_rows(n, k)
    for i in range(k):
        train, out = folds.split(n, k, i, seed=7, labels=labels)
        assert np.intersect1d(train, out).size == 0 and train.size + out.size == n
    if labels is not None:
        for out in held:  # every class in proportion, give or take one row
            counts = np.bincount(labels[out], minlength=3)
            assert np.all(np.abs(counts - np.array([70, 25, 8]) / k) <= 1), counts


def test_the_same_seed_gives_the_same_folds_and_another_seed_others() -> None:
    first = folds.assignment(50, 3, seed=1)
    assert np.array_equal(first, folds.assignment(50, 3, seed=1))
    assert not np.array_equal(first, folds.assignment(50, 3, seed=2))


def test_impossible_folds_are_refused() -> None:
    with pytest.raises(ValueError, match="cv"):
        folds.assignment(3, 4, seed=0)
    with pytest.raises(ValueError, match="fold index"):
        folds.split(10, 2, 2, seed=0)
