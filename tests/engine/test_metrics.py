"""The engine's vectorised scores against scikit-learn's, on the same predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from engine import metrics

TOL = 1e-12


@pytest.fixture
def multiclass() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, 300)
    proba = rng.dirichlet(np.ones(4), 300)
    proba[0] = [1, 0, 0, 0]  # exercises the clipping
    return codes, proba


def test_classification_scores_match_scikit_learn(multiclass) -> None:  # type: ignore[no-untyped-def]
    codes, proba = multiclass
    pred = proba.argmax(1)
    assert metrics.accuracy(codes, pred) == pytest.approx(sk.accuracy_score(codes, pred), abs=TOL)
    assert metrics.balanced_accuracy(codes, pred) == pytest.approx(
        sk.balanced_accuracy_score(codes, pred), abs=TOL
    )
    assert metrics.f1_macro(codes, pred) == pytest.approx(
        sk.f1_score(codes, pred, average="macro"), abs=TOL
    )
    assert metrics.log_loss(codes, proba) == pytest.approx(
        sk.log_loss(codes, proba, labels=[0, 1, 2, 3]), abs=TOL
    )


def test_float32_probabilities_are_clipped_with_their_own_eps() -> None:
    codes = np.array([0, 1, 1, 0])
    proba = np.array([[1, 0], [1, 0], [0.3, 0.7], [0.6, 0.4]], dtype=np.float32)
    assert metrics.log_loss(codes, proba) == pytest.approx(sk.log_loss(codes, proba), abs=1e-6)


def test_classes_missing_from_the_truth_or_the_predictions() -> None:
    # class 2 is never true (only predicted), class 3 neither: as scikit-learn counts them
    truth = np.array([0, 0, 1, 1, 1])
    pred = np.array([0, 2, 1, 1, 0])
    assert metrics.balanced_accuracy(truth, pred) == pytest.approx(
        sk.balanced_accuracy_score(truth, pred), abs=TOL
    )
    assert metrics.f1_macro(truth, pred) == pytest.approx(
        sk.f1_score(truth, pred, average="macro"), abs=TOL
    )
    assert metrics.f1_macro([1, 1], [1, 1]) == 1.0


def test_roc_auc_with_ties_matches_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 2, 400)
    score = np.round(rng.uniform(size=400) * 0.5 + codes * 0.3, 1)  # many ties
    assert metrics.roc_auc(codes, score) == pytest.approx(sk.roc_auc_score(codes, score), abs=TOL)
    assert np.isnan(metrics.roc_auc(np.zeros(5), np.arange(5.0)))  # one class: undefined


@pytest.mark.parametrize("shape", [(60,), (60, 3)])
def test_regression_scores_match_scikit_learn(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    t = rng.normal(size=shape) * 50 + 1000
    p = t + rng.normal(0, 30, shape)
    assert metrics.r2(t, p) == pytest.approx(sk.r2_score(t, p), abs=TOL)
    assert metrics.rmse(t, p) == pytest.approx(sk.root_mean_squared_error(t, p), abs=1e-9)
    assert metrics.mae(t, p) == pytest.approx(sk.mean_absolute_error(t, p), abs=1e-9)


def test_r2_of_a_constant_truth_follows_scikit_learn() -> None:
    constant = np.ones(5)
    assert metrics.r2(constant, constant) == sk.r2_score(constant, constant) == 1.0
    assert metrics.r2(constant, constant + 1) == sk.r2_score(constant, constant + 1) == 0.0
