"""numpy metrics against scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from engine import metrics


def test_classification_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    classes = np.array(["a", "b", "c", "d"])
    y = classes[rng.integers(0, 4, 200)]
    proba = rng.dirichlet(np.ones(4), 200)
    proba[0] = [1, 0, 0, 0]  # exercises the clipping
    pred = classes[proba.argmax(1)]
    got = metrics.classification_metrics(y, proba, classes)
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(y, pred))
    assert got["log_loss"] == pytest.approx(sk.log_loss(y, proba, labels=classes))
    assert got["macro_f1"] == pytest.approx(sk.f1_score(y, pred, average="macro"))
    yb = rng.integers(0, 2, 50)
    pb = rng.uniform(size=50)
    assert metrics.log_loss(yb, pb) == pytest.approx(sk.log_loss(yb, pb))


def test_regression_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    for shape in ((60,), (60, 3)):
        t = rng.normal(size=shape)
        p = t + rng.normal(0, 0.3, shape)
        got = metrics.regression_metrics(t, p)
        assert got["r2"] == pytest.approx(sk.r2_score(t, p))
        assert got["rmse"] == pytest.approx(sk.root_mean_squared_error(t, p))
        assert got["mae"] == pytest.approx(sk.mean_absolute_error(t, p))
    constant = np.ones(5)
    assert metrics.r2(constant, constant) == 1.0
    assert metrics.r2(constant, constant + 1) == 0.0
    assert metrics.macro_f1([1, 1], [1, 1]) == 1.0


def test_log_loss_rejects_unknown_labels() -> None:
    with pytest.raises(ValueError, match="not among"):
        metrics.log_loss(["z"], [[0.5, 0.5]], classes=["a", "b"])
