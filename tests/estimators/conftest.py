from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """150 samples, 4 features far from zero, 3 separable-ish classes with string labels."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, (3, 4))
    y = rng.integers(0, 3, 150)
    X = (centers[y] + rng.normal(0, 1.0, (150, 4))) * [1, 10, 100, 0.1] + [0, 0, 1000, 5]
    return X, np.array(["ant", "bee", "cat"])[y]


@pytest.fixture
def linear() -> tuple[np.ndarray, np.ndarray]:
    """120 samples, 4 features of very different scales, a noisy linear target far from 0."""
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (120, 4)) * [1, 10, 100, 0.1]
    y = X @ np.array([1.0, 0.2, 0.01, 5.0]) + 50 + rng.normal(0, 0.1, 120)
    return X, y
