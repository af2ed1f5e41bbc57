"""Pickling and cloning: a fitted estimator travels (its engine model as safetensors bytes) and
predicts the same afterwards."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from mlpforge.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_pickle_round_trip_predicts_the_same(blobs, linear) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=10, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(back.classes_, clf.classes_)
    assert back.loss_curve_ == clf.loss_curve_ and back.get_params() == clf.get_params()

    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=10, dtype="float32").fit(X, y)
    back = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))


def test_the_engine_model_is_pickled_as_safetensors_bytes(linear) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y)
    state = reg.__getstate__()
    assert isinstance(state["_engine_model"], bytes)
    back = MLPRegressor.__new__(MLPRegressor)
    back.__setstate__(state)
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))


def test_unfitted_estimators_pickle(linear) -> None:
    back = pickle.loads(pickle.dumps(MLPRegressor(alpha=0.5)))
    assert back.alpha == 0.5 and not hasattr(back, "coefs_")


def test_clone_keeps_parameters_and_drops_the_fit(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(4, 2), dropout=0.2, max_iter=3).fit(X, y)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "coefs_")


def test_set_params_then_refit(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    clf.set_params(hidden_layer_sizes=(6, 2), max_iter=2).fit(X, y)
    assert [w.shape[1] for w in clf.coefs_] == [6, 2, 3] and clf.n_iter_ == 2
