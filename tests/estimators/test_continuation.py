"""``warm_start`` and ``partial_fit``: training continues from the model (its weights, its
standardization, its solver's state), with scikit-learn's bookkeeping."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from mlpforge.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_warm_start_continues_the_fit(linear) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(6,), max_iter=5, warm_start=True, random_state=0)
    reg.fit(X, y)
    first = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.n_iter_ == 5 and len(reg.loss_curve_) == 10
    assert reg.loss_curve_[:5] == first
    assert reg.t_ == 10 * len(X)
    # no restart: the sixth epoch is at least as good as the fifth was (Adam's state carried)
    assert reg.loss_curve_[5] < first[0]
    assert reg.loss_curve_[-1] < first[-1]


def test_without_warm_start_fit_starts_over(linear) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(6,), max_iter=5, random_state=0).fit(X, y)
    first = reg.coefs_[0].copy()
    reg.fit(X, y)
    assert len(reg.loss_curve_) == 5 and reg.t_ == 5 * len(X)
    np.testing.assert_array_equal(reg.coefs_[0], first)


def test_partial_fit_needs_classes_first(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(6,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=["ant", "bee", "cat"])
    for start in range(50, 150, 50):
        clf.partial_fit(X[start : start + 50], y[start : start + 50])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 3 and clf.t_ == 150
    np.testing.assert_array_equal(clf.classes_, ["ant", "bee", "cat"])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X[:3], ["ant", "bee", "dog"])


def test_partial_fit_batches_may_miss_classes(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(6,), random_state=0)
    only_ants = y == "ant"
    clf.partial_fit(X[only_ants], y[only_ants], classes=np.array(["ant", "bee", "cat"]))
    clf.partial_fit(X[~only_ants], y[~only_ants])
    assert clf.predict_proba(X).shape == (150, 3)


def test_partial_fit_learns(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0)
    for _ in range(60):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 2
    assert clf.score(X, y) > 0.85


def test_partial_fit_keeps_the_first_calls_standardization(linear) -> None:
    """Later batches on another scale do not re-standardize: the weights keep their meaning."""
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(6,), random_state=0)
    reg.partial_fit(X[:60], y[:60])
    scale = reg._engine_model.x_scale_.copy()
    reg.partial_fit(X[60:] * 5, y[60:])
    np.testing.assert_array_equal(reg._engine_model.x_scale_, scale)


def test_partial_fit_refuses_early_stopping_and_lbfgs(linear) -> None:
    X, y = linear
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(solver="sgd"), "partial_fit")


def test_partial_fit_continues_the_same_after_pickling(blobs) -> None:
    """The solver's state travels in the pickle: continuing an unpickled copy gives the very
    weights the original reaches."""
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(6,), random_state=0, shuffle=False)
    clf.partial_fit(X, y, classes=np.unique(y))
    copy = pickle.loads(pickle.dumps(clf))
    for model in (clf, copy):
        model.partial_fit(X, y)
        model.partial_fit(X, y)
    for a, b in zip(clf.coefs_, copy.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert copy.loss_curve_ == clf.loss_curve_ and copy.t_ == clf.t_


def test_warm_start_with_other_classes_is_refused(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, warm_start=True).fit(X, y)
    keep = y != "cat"
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[keep], y[keep])


def test_warm_start_with_early_stopping_extends_the_validation_scores(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), max_iter=3, warm_start=True, early_stopping=True, random_state=0
    )
    clf.fit(X, y).fit(X, y)
    assert len(clf.validation_scores_) == len(clf.loss_curve_) == 6
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_partial_fit_starts_from_edited_coefs(linear) -> None:
    """coefs_ are the parameters (as in scikit-learn): training continues from them as edited."""
    X, y = linear
    settings = {"hidden_layer_sizes": (6,), "random_state": 0, "shuffle": False}
    edited = MLPRegressor(**settings).partial_fit(X, y)
    untouched = MLPRegressor(**settings).partial_fit(X, y)
    edited.intercepts_[-1] = edited.intercepts_[-1] + 100.0
    np.testing.assert_allclose(edited.predict(X), untouched.predict(X) + 100.0)
    edited.partial_fit(X, y)
    untouched.partial_fit(X, y)
    # one more epoch does not undo a shift of 100 (the targets' spread is about 6)
    assert np.mean(edited.predict(X) - untouched.predict(X)) > 50.0


def test_continuing_unedited_coefs_is_the_engines_own_continuation(linear) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(6,), random_state=0).partial_fit(X, y)
    assert reg._start() is reg._engine_model


def test_two_warm_fits_are_one_long_fit(linear) -> None:
    """The solver's state, the schedule and the stopping rule carry over; only the shuffling
    order starts again from random_state, so without shuffling the weights are identical."""
    X, y = linear
    settings = {"hidden_layer_sizes": (6,), "batch_size": 32, "shuffle": False, "random_state": 0}
    warm = MLPRegressor(**settings, max_iter=5, warm_start=True)
    warm.fit(X, y).fit(X, y)
    once = MLPRegressor(**settings, max_iter=10).fit(X, y)
    for a, b in zip(warm.coefs_ + warm.intercepts_, once.coefs_ + once.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert warm.loss_curve_ == once.loss_curve_
