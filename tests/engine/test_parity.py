"""Same data, same params: at least scikit-learn's quality (datasets shipped with scikit-learn).

Both sides see the same standardized inputs (and, for regression, standardized targets), with
``standardize=False`` on ours, so the comparison is of the training algorithms alone. Scores are
averaged over a few seeds, since the two libraries draw different initial weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from engine import MLPParams, Trainer, fit
from engine.metrics import accuracy, r2
from tests.engine.sklearn_start import sklearn_initial_weights

SEEDS = range(8)


def _split(loader: Callable[..., Any], regression: bool) -> tuple[np.ndarray, ...]:
    X, y = loader(return_X_y=True)
    stratify = None if regression else y
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.25, random_state=0, stratify=stratify)
    scaler = StandardScaler().fit(Xa)
    Xa, Xb = scaler.transform(Xa), scaler.transform(Xb)
    if regression:
        mean, std = ya.mean(), ya.std()
        ya, yb = (ya - mean) / std, (yb - mean) / std
    return Xa, Xb, ya, yb


CASES = [
    (load_iris, False, {"hidden_layer_sizes": (16,), "max_iter": 100, "batch_size": 16}),
    (load_digits, False, {"hidden_layer_sizes": (32,), "max_iter": 40}),
    (load_diabetes, True, {"hidden_layer_sizes": (32,), "max_iter": 60, "batch_size": 32}),
]


@pytest.mark.parametrize("solver,extra", [("adam", {}), ("sgd", {"learning_rate_init": 0.01})])
@pytest.mark.parametrize("loader,regression,kw", CASES, ids=["iris", "digits", "diabetes"])
def test_quality_at_least_scikit_learns(loader, regression, kw, solver, extra) -> None:  # type: ignore[no-untyped-def]
    Xa, Xb, ya, yb = _split(loader, regression)
    ours, theirs = [], []
    for seed in SEEDS:
        shared = {**kw, **extra, "solver": solver, "random_state": seed}
        task = "regression" if regression else "classification"
        model = fit(Xa, ya, task=task, params=MLPParams(**shared, standardize=False))
        ref = (MLPRegressor if regression else MLPClassifier)(**shared)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref.fit(Xa, ya)
        score = r2 if regression else accuracy
        ours.append(score(yb, model.predict(Xb)))
        theirs.append(score(yb, ref.predict(Xb)))
    margin = 0.02 if regression else 0.01
    print(f"ours {np.mean(ours):.4f} scikit-learn {np.mean(theirs):.4f}")
    assert np.mean(ours) >= np.mean(theirs) - margin, (ours, theirs)


def test_raw_inputs_with_default_standardization_match_too() -> None:
    """The user-facing path: raw digits, our default standardize=True, sklearn on raw inputs."""
    X, y = load_digits(return_X_y=True)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    params = {"hidden_layer_sizes": (32,), "max_iter": 30, "random_state": 0}
    model = fit(Xa, ya, task="classification", params=MLPParams(**params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(**params).fit(Xa, ya)
    assert accuracy(yb, model.predict(Xb)) >= accuracy(yb, ref.predict(Xb)) - 0.01


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_same_initial_weights_give_scikit_learns_trajectory(solver: str) -> None:
    """With scikit-learn's initial weights and no shuffling, every epoch's loss and the final
    weights agree with scikit-learn's to float64 rounding: same algorithm, not just same quality."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:600]
    y = y[:600]
    kw = {
        "hidden_layer_sizes": (20,),
        "max_iter": 8,
        "random_state": 0,
        "shuffle": False,
        "solver": solver,
        "alpha": 0.01,
        "batch_size": 64,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(**kw).fit(X, y)
    trainer = Trainer(
        X, y, task="classification", params=MLPParams(**kw, standardize=False), dtype=np.float64
    )
    sklearn_initial_weights(trainer, 0)
    model = trainer.run()
    np.testing.assert_allclose([h["loss"] for h in model.history], ref.loss_curve_, rtol=1e-12)
    for (w, b), cw, cb in zip(model.layers(), ref.coefs_, ref.intercepts_, strict=True):
        np.testing.assert_allclose(w, cw, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b, cb, rtol=1e-5, atol=1e-6)
