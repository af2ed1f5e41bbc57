"""``sample_weight`` with scikit-learn 1.9's meaning: the loss and the L2 penalty are both
normalized by the sum of the weights."""

from __future__ import annotations

import numpy as np
import pytest

from mlpforge.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_equal_weights_are_a_smaller_penalty(linear) -> None:
    """Weights all c: the same fit as no weights with alpha / c (scikit-learn 1.9 divides the
    loss and the L2 penalty by the sum of the weights)."""
    X, y = linear
    settings = {"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0}
    weighted = MLPRegressor(**settings, alpha=0.3).fit(X, y, sample_weight=np.full(len(y), 3.0))
    plain = MLPRegressor(**settings, alpha=0.1).fit(X, y)
    for a, b in zip(weighted.coefs_, plain.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_unit_weights_are_no_weights(blobs) -> None:
    X, y = blobs
    settings = {"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0}
    weighted = MLPClassifier(**settings).fit(X, y, sample_weight=np.ones(len(y)))
    plain = MLPClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(weighted.predict_proba(X), plain.predict_proba(X), atol=1e-12)


def test_weights_are_checked_like_scikit_learns(linear) -> None:
    X, y = linear
    with pytest.raises(ValueError, match="sample_weight"):
        MLPRegressor(max_iter=2).fit(X, y, sample_weight=np.ones(3))


def test_heavy_rows_pull_the_fit(linear) -> None:
    """20 rows appear twice, the copy's target 10 higher: the lighter the original rows, the
    closer the fit follows the copies."""
    X, y = linear
    X2, y2 = np.vstack([X, X[:20]]), np.concatenate([y, y[:20] + 10])
    settings = {"hidden_layer_sizes": (5,), "solver": "lbfgs", "max_iter": 300, "random_state": 0}
    shifts = []
    for original_weight in (10.0, 1.0, 0.1):
        weights = np.ones(len(y2))
        weights[:20] = original_weight
        reg = MLPRegressor(**settings).fit(X2, y2, sample_weight=weights)
        shifts.append((reg.predict(X[:20]) - y[:20]).mean())
    assert shifts[0] < 1.5 and shifts[0] < shifts[1] < shifts[2]
