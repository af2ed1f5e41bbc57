"""The estimators inside scikit-learn's tools: pipelines, cross-validation, grid search."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlpforge.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_cross_val_score(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0)
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8


def test_grid_search_over_engine_and_scikit_learn_parameters(linear) -> None:
    X, y = linear
    search = GridSearchCV(
        MLPRegressor(max_iter=60, random_state=0, learning_rate_init=0.01),
        {"hidden_layer_sizes": [(4,), (8,)], "alpha": np.logspace(-4, -2, 2), "l1": [0.0, 1e-4]},
        cv=2,
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_estimator_.n_features_in_ == 4
    assert search.score(X, y) > 0.5


def test_in_a_pipeline(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0)
    pipe = make_pipeline(StandardScaler(), clf)
    assert pipe.fit(X, y).score(X, y) > 0.8
