"""sample_weight with scikit-learn 1.9's MLP semantics: each batch's loss and gradient are the
weighted mean (penalties divided by the batch's weight sum), and early stopping scores the
validation rows with their weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from engine import MLPParams, ModelFormatError, Trainer, fit
from tests.engine.sklearn_start import max_difference, sklearn_initial_weights


def _data(task: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = (load_iris if task == "classification" else load_diabetes)(return_X_y=True)
    weights = np.random.default_rng(0).uniform(0.0, 3.0, X.shape[0])
    return StandardScaler().fit_transform(X), y if task == "classification" else y / 100, weights


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_weighted_trajectories_are_scikit_learns(task: str, solver: str) -> None:
    X, y, w = _data(task)
    kw: dict[str, Any] = {
        "hidden_layer_sizes": (8,),
        "random_state": 0,
        "shuffle": False,
        "solver": solver,
        "max_iter": 5,
        "batch_size": 32,
        "alpha": 0.05,
        "learning_rate_init": 0.01,
    }
    ref = (MLPClassifier if task == "classification" else MLPRegressor)(**kw)
    ref.fit(X, y, sample_weight=w)
    params = MLPParams(**kw, standardize=False, dtype="float64")
    trainer = Trainer(X, y, task=task, params=params, sample_weight=w)  # type: ignore[arg-type]
    sklearn_initial_weights(trainer, 0)
    model = trainer.run()
    np.testing.assert_allclose([h["loss"] for h in model.history], ref.loss_curve_, rtol=1e-12)
    assert max_difference(model.coefs_ + model.intercepts_, ref.coefs_ + ref.intercepts_) < 1e-12


def _lbfgs(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> Any:
    params = MLPParams(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=15, random_state=0)
    trainer = Trainer(X, y, task="regression", params=params, sample_weight=w)
    sklearn_initial_weights(trainer, 0)  # the same start whatever the rows
    return trainer.run()


def test_integer_weights_repeat_rows_and_zero_weights_drop_them() -> None:
    """With the full-batch solver, and standardization statistics weighted too."""
    X, y, _ = _data("regression")
    X, y = X[:120], y[:120]
    counts = np.random.default_rng(1).integers(0, 4, 120)  # zeros included
    weighted = _lbfgs(X, y, counts.astype(float))
    repeated = _lbfgs(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(
        [h["loss"] for h in weighted.history], [h["loss"] for h in repeated.history], rtol=1e-6
    )


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_early_stopping_scores_the_validation_rows_with_their_weights(task: str) -> None:
    X, y, w = _data(task)
    params = MLPParams(
        hidden_layer_sizes=(8,), max_iter=1, early_stopping=True, random_state=0, dtype="float64"
    )
    trainer = Trainer(X, y, task=task, params=params, sample_weight=w)  # type: ignore[arg-type]
    model = trainer.run()
    _, val = trainer.split
    assert val is not None
    score = accuracy_score if task == "classification" else r2_score
    expected = score(y[val], model.predict(X[val]), sample_weight=w[val])
    assert model.history[0]["val_score"] == pytest.approx(expected, rel=1e-9)
    unweighted = score(y[val], model.predict(X[val]))
    assert expected != pytest.approx(unweighted, rel=1e-9)


@pytest.mark.parametrize(
    "weights,message",
    [
        (np.ones(3), "shape"),
        (-np.ones(150), "non-negative"),
        (np.full(150, np.nan), "finite"),
        (np.zeros(150), "positive"),
        (np.array(["a"] * 150), "numbers"),
    ],
)
def test_bad_weights_are_refused(weights: np.ndarray, message: str) -> None:
    X, y, _ = _data("classification")
    with pytest.raises(ValueError, match=f"^sample_weight: .*{message}"):
        Trainer(X, y, task="classification", params=MLPParams(), sample_weight=weights)


def test_a_scalar_weight_weighs_every_row_alike() -> None:
    X, y, _ = _data("classification")
    params = MLPParams(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    plain = fit(X, y, task="classification", params=params)
    scaled = fit(X, y, task="classification", params=params, sample_weight=2.0)
    np.testing.assert_allclose(plain.coefs_[0], scaled.coefs_[0], rtol=1e-5, atol=1e-6)


def test_a_checkpoint_refuses_other_weights() -> None:
    X, y, w = _data("classification")
    params = MLPParams(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    saved: list[bytes] = []
    trainer = Trainer(X, y, task="classification", params=params, sample_weight=w)
    full = trainer.run(on_epoch=lambda _r: saved.append(trainer.checkpoint()))
    resumed = Trainer.resume(X, y, saved[0], sample_weight=w).run()
    assert all(np.array_equal(a, b) for a, b in zip(resumed.coefs_, full.coefs_, strict=True))
    for other in (None, w * 2):
        with pytest.raises(ModelFormatError, match="sample weights"):
            Trainer.resume(X, y, saved[0], sample_weight=other)
