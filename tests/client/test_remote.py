"""RemoteMLPClassifier / RemoteMLPRegressor: scikit-learn estimators that train on the service."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_regression
from sklearn.model_selection import train_test_split

from mlpforge.client import Client, JobFailedError, NotFoundError, ValidationError
from mlpforge.remote import RemoteMLPClassifier, RemoteMLPRegressor


def test_classifier_like_scikit_learn(client: Client, api_server: str, key: str) -> None:
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    X_train, X_test, y_train, y_test = train_test_split(X, names, random_state=0, stratify=y)
    clf = RemoteMLPClassifier(
        hidden_layer_sizes=(16,),
        learning_rate_init=0.05,
        max_iter=20,
        random_state=0,
        url=api_server,
        api_key=key,
    )
    assert clf.get_params()["hidden_layer_sizes"] == (16,)
    assert clf._train_params() == {
        "hidden_layer_sizes": [16],
        "learning_rate_init": 0.05,
        "max_iter": 20,
        "random_state": 0,
    }
    assert clf.fit(X_train, y_train) is clf

    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert clf.n_features_in_ == 4
    assert clf.model_id_.startswith("mdl_") and clf.job_id_.startswith("job_")
    assert clf.n_iter_ == len(clf.loss_curve_) >= 1
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    with pytest.raises(NotFoundError):  # keep_data=False: deleted once trained
        client.get_dataset(clf.dataset_id_)

    predicted = clf.predict(X_test)
    assert predicted.shape == (len(X_test),) and predicted.dtype.kind == "U"
    assert set(predicted) <= set(clf.classes_)
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], predicted)
    assert clf.score(X_test, y_test) > 0.8

    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and not hasattr(twin, "model_id_")
    twin.set_params(hidden_layer_sizes=(4,), max_iter=5)
    assert twin._train_params()["hidden_layer_sizes"] == [4]
    revived = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(revived.predict(X_test[:5]), predicted[:5])

    # Integer labels stay integers.
    codes = np.searchsorted(clf.classes_, y_train)
    ints = clone(clf).set_params(max_iter=5).fit(X_train, codes)
    assert ints.classes_.tolist() == [0, 1, 2] and ints.classes_.dtype.kind == "i"
    assert ints.predict(X_test[:3]).dtype.kind == "i"


def test_regressor_scores_well(api_server: str, key: str, client: Client) -> None:
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    reg = RemoteMLPRegressor(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        max_iter=20,
        random_state=0,
        url=api_server,
        api_key=key,
    ).fit(X, y)
    predicted = reg.predict(X[:7])
    assert predicted.shape == (7,) and predicted.dtype == np.float64
    assert reg.score(X, y) > 0.8
    assert reg.best_loss_ == min(reg.loss_curve_)


def test_refused_fit_raises_the_problem(api_server: str, key: str, client: Client) -> None:
    X, y = load_iris(return_X_y=True)
    clf = RemoteMLPClassifier(max_iter=0, url=api_server, api_key=key)
    with pytest.raises(ValidationError) as refused:
        clf.fit(X, y)
    assert refused.value.status == 422 and "max_iter" in str(refused.value)
    assert not hasattr(clf, "model_id_")


def test_failed_job_raises(api_server: str, key: str, client: Client) -> None:
    X = np.random.default_rng(0).normal(size=(40, 3)) * 1e3
    reg = RemoteMLPRegressor(
        solver="sgd", learning_rate_init=1e3, standardize=False, max_iter=5,
        url=api_server, api_key=key, keep_data=True,
    )  # fmt: skip
    with pytest.raises(JobFailedError) as failed:
        reg.fit(X, X.sum(axis=1) * 1e3)
    assert failed.value.job.status == "failed"
    assert failed.value.job.error and failed.value.job.error["type"] == "DivergenceError"
    assert client.get_dataset(failed.value.job.dataset_id or "").n_samples == 40  # kept
