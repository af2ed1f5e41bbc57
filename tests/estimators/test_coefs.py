"""``coefs_`` / ``intercepts_`` act on raw inputs: scikit-learn's forward pass over them gives
``predict``, whatever the engine standardized while training."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, softmax

from engine import MLPParams, fit
from mlpforge.estimators import MLPClassifier, MLPRegressor
from mlpforge.estimators._layers import fold, unfold

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HIDDEN = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "logistic": expit,
}


def forward(coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray, hidden: str):
    """scikit-learn's _forward_pass_fast, before the output activation."""
    a = X
    for i, (w, b) in enumerate(zip(coefs, intercepts, strict=True)):
        a = a @ w + b
        if i < len(coefs) - 1:
            a = HIDDEN[hidden](a)
    return a


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_regressor_coefs_reproduce_predict(linear, standardize: bool, activation: str) -> None:
    X, y = linear
    reg = MLPRegressor(
        hidden_layer_sizes=(8, 5),
        activation=activation,
        standardize=standardize,
        max_iter=20,
        learning_rate_init=0.01 if standardize else 1e-4,
        random_state=0,
    )
    reg.fit(X, y)
    out = forward(reg.coefs_, reg.intercepts_, X, activation)
    np.testing.assert_allclose(out.ravel(), reg.predict(X), rtol=1e-9, atol=1e-9)
    assert reg.out_activation_ == "identity"


@pytest.mark.parametrize("standardize", [True, False])
def test_predictions_are_the_engines_own(linear, blobs, standardize: bool) -> None:
    """Same parameters, same seed: the estimator predicts what the engine's model predicts
    (folding the scalers into coefs_ changes only the rounding)."""
    settings = {"hidden_layer_sizes": (7,), "max_iter": 15, "random_state": 3}
    for (X, y), task, estimator in [
        (linear, "regression", MLPRegressor),
        (blobs, "classification", MLPClassifier),
    ]:
        params = MLPParams(**settings, standardize=standardize)
        model = fit(X, y, task=task, params=params, dtype=np.float64)
        ours = estimator(**settings, standardize=standardize).fit(X, y)
        if task == "regression":
            np.testing.assert_allclose(ours.predict(X), model.predict(X), rtol=1e-9)
        else:
            np.testing.assert_allclose(ours.predict_proba(X), model.predict_proba(X), atol=1e-9)
            np.testing.assert_array_equal(ours.predict(X), model.predict(X))


def test_multiclass_coefs_reproduce_predict_proba(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=30, random_state=0).fit(X, y)
    proba = softmax(forward(clf.coefs_, clf.intercepts_, X, "relu"), axis=1)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert clf.out_activation_ == "softmax"
    assert [w.shape for w in clf.coefs_] == [(4, 6), (6, 3)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (3,)]


def test_binary_coefs_reproduce_predict_proba(blobs) -> None:
    X, y = blobs
    y = y == "ant"
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=30, random_state=0).fit(X, y)
    p = expit(forward(clf.coefs_, clf.intercepts_, X, "relu")).ravel()
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], p, rtol=1e-9, atol=1e-12)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1


def test_coefs_are_the_parameters_predict_uses(linear) -> None:
    """As in scikit-learn, editing coefs_ changes the predictions."""
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    before = reg.predict(X)
    reg.intercepts_[-1] = reg.intercepts_[-1] + 1.0
    np.testing.assert_allclose(reg.predict(X), before + 1.0)


def test_multi_output_targets_are_folded_per_output(linear) -> None:
    X, y = linear
    Y = np.column_stack([y, -1000 * y + 3])
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (X.shape[0], 2) and reg.n_outputs_ == 2
    out = forward(reg.coefs_, reg.intercepts_, X, "relu")
    np.testing.assert_allclose(out, reg.predict(X), rtol=1e-9, atol=1e-6)


def test_unfold_inverts_fold(linear) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    model = reg._engine_model
    for (w, b), (w0, b0) in zip(unfold(model, fold(model)), model.weights(), strict=True):
        np.testing.assert_allclose(w, w0, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, b0, rtol=1e-12, atol=1e-12)
