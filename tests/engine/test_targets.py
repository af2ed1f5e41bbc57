"""What the engine learns besides one label or one number: Poisson counts, multilabel indicator
matrices, several targets — each against scikit-learn's MLP, through checkpoints and blobs —
and the training dtype."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network._base import LOSS_FUNCTIONS

from engine import MLPParams, Trainer, dump_model, fit, load_model
from engine.losses import make_head
from tests.engine.sklearn_start import max_difference, sklearn_initial_weights


def _features(n: int = 150, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 4))


def _counts(X: np.ndarray) -> np.ndarray:
    return np.random.default_rng(1).poisson(np.exp(0.6 * X[:, 0] - 0.3 * X[:, 1] + 0.5))


def _labels(X: np.ndarray) -> np.ndarray:
    noise = np.random.default_rng(2).normal(0, 0.3, (X.shape[0], 3))
    return (X[:, :3] + noise > 0).astype(int)


def _trajectories(
    estimator: Any, task: str, X: np.ndarray, y: np.ndarray, **kw: Any
) -> tuple[Any, Any]:
    kw = {"hidden_layer_sizes": (10,), "random_state": 0, "shuffle": False, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = estimator(**kw).fit(X, y)
    trainer = Trainer(X, y, task=task, params=MLPParams(**kw, standardize=False, dtype="float64"))  # type: ignore[arg-type]
    sklearn_initial_weights(trainer, 0)
    return trainer.run(), ref


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_poisson_is_scikit_learns(solver: str) -> None:
    X = _features()
    model, ref = _trajectories(
        MLPRegressor,
        "regression",
        X,
        _counts(X),
        solver=solver,
        loss="poisson",
        max_iter=6,
        learning_rate_init=0.01,
    )
    np.testing.assert_allclose([h["loss"] for h in model.history], ref.loss_curve_, rtol=1e-12)
    assert max_difference(model.coefs_, ref.coefs_) < 1e-12
    assert model.output_activation == ref.out_activation_ == "exp"
    np.testing.assert_allclose(model.predict(X), ref.predict(X), rtol=1e-12)


def test_poisson_predicts_rates_and_refuses_negative_targets() -> None:
    X = _features()
    y = _counts(X)
    model = fit(X, y, task="regression", params=MLPParams(loss="poisson", max_iter=50))
    assert model.y_mean_ is None and model.x_mean_ is not None  # counts are never centered
    assert (model.predict(X) > 0).all()
    assert abs(model.predict(X).mean() - y.mean()) < 0.25 * y.mean()
    again = load_model(dump_model(model))
    assert np.array_equal(again.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="non-negative"):
        fit(X, y - 1.0, task="regression", params=MLPParams(loss="poisson"))


def test_multilabel_is_scikit_learns() -> None:
    X = _features()
    Y = _labels(X)
    model, ref = _trajectories(MLPClassifier, "classification", X, Y, max_iter=6)
    np.testing.assert_allclose([h["loss"] for h in model.history], ref.loss_curve_, rtol=1e-12)
    assert model.classes_.tolist() == ref.classes_.tolist() == [0, 1, 2]
    assert model.output_activation == ref.out_activation_ == "logistic"
    assert np.array_equal(model.predict(X), ref.predict(X))
    assert model.predict(X).dtype == ref.predict(X).dtype == np.int64
    np.testing.assert_allclose(model.predict_proba(X), ref.predict_proba(X), rtol=1e-10)


def test_multilabel_trains_with_early_stopping_checkpoints_and_blobs() -> None:
    X = _features(200)
    Y = _labels(X).astype(bool)
    params = MLPParams(
        hidden_layer_sizes=(16,),
        max_iter=8,
        random_state=0,
        early_stopping=True,
        batch_size=16,
        learning_rate_init=0.01,
    )
    saved: list[bytes] = []
    trainer = Trainer(X, Y, task="classification", params=params)
    model = trainer.run(on_epoch=lambda _r: saved.append(trainer.checkpoint()))
    assert model.multilabel and model.n_outputs_ == 3
    assert all(0 <= h["val_score"] <= 1 for h in model.history)  # type: ignore[operator]
    assert (model.predict(X) == Y).all(axis=1).mean() > 0.6  # subset accuracy
    resumed = Trainer.resume(X, Y, saved[3]).run()
    assert all(np.array_equal(a, b) for a, b in zip(resumed.coefs_, model.coefs_, strict=True))
    again = load_model(dump_model(model))
    assert again.multilabel and np.array_equal(again.predict_proba(X), model.predict_proba(X))


def test_two_targets_are_scikit_learns_weights_with_the_summed_loss() -> None:
    """Same weights as scikit-learn's; its loss averages the outputs (while its gradient sums
    them), ours sums them: the curves differ by the factor n_outputs (docs/engine-vs-...)."""
    X = _features()
    Y = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] * X[:, 3]])
    model, ref = _trajectories(MLPRegressor, "regression", X, Y, max_iter=6, alpha=0.0)
    assert max_difference(model.coefs_ + model.intercepts_, ref.coefs_ + ref.intercepts_) < 1e-12
    # (scikit-learn does not average its L2 term: alpha 0 compares the rest)
    np.testing.assert_allclose([h["loss"] / 2 for h in model.history], ref.loss_curve_, rtol=1e-12)


def test_float32_training_is_scikit_learns_on_float32_data() -> None:
    X = _features().astype(np.float32)
    y = _counts(X).astype(np.float32)
    kw = {"hidden_layer_sizes": (10,), "random_state": 0, "shuffle": False, "max_iter": 5}
    ref = MLPRegressor(**kw).fit(X, y)
    trainer = Trainer(X, y, task="regression", params=MLPParams(**kw, standardize=False))
    sklearn_initial_weights(trainer, 0)
    model = trainer.run()
    assert model.dtype == ref.coefs_[0].dtype == np.float32
    assert model.predict(X).dtype == ref.predict(X).dtype == np.float32
    assert max_difference(model.coefs_, ref.coefs_) < 1e-5


def test_two_targets_train_checkpoint_and_load() -> None:
    X = _features()
    Y = np.column_stack([X[:, 0] * 30 + 500, X[:, 1] - X[:, 2]])
    params = MLPParams(hidden_layer_sizes=(16,), max_iter=60, random_state=0, batch_size=32)
    saved: list[bytes] = []
    trainer = Trainer(X, Y, task="regression", params=params)
    model = trainer.run(on_epoch=lambda _r: saved.append(trainer.checkpoint()))
    prediction = model.predict(X)
    assert prediction.shape == (150, 2) and np.abs(prediction - Y).mean(axis=0)[0] < 30
    resumed = Trainer.resume(X, Y, saved[10]).run()
    assert np.array_equal(resumed.predict(X), prediction)
    assert np.array_equal(load_model(dump_model(model)).predict(X), prediction)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_training_dtype_is_the_models_and_the_predictions(dtype: str) -> None:
    X = _features()
    model = fit(X, X[:, 0] * 3, task="regression", params=MLPParams(max_iter=3, dtype=dtype))
    assert model.dtype == dtype and model.coefs_[0].dtype == dtype
    assert model.predict(X).dtype == dtype and model.params.dtype == dtype
    assert load_model(dump_model(model)).predict(X).dtype == dtype


@pytest.mark.parametrize(
    "loss,output,k",
    [
        ("log_loss", "softmax", 3),
        ("binary_log_loss", "logistic", 1),
        ("binary_log_loss", "logistic", 3),
        ("squared_error", "identity", 1),
        ("poisson", "exp", 2),
    ],
)
def test_loss_values_are_scikit_learns_weighted_or_not(loss: str, output: str, k: int) -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(20, k))
    if output == "softmax":
        y = np.eye(k)[rng.integers(0, k, 20)]
    elif output == "logistic":
        y = rng.integers(0, 2, (20, k)).astype(float)
    elif output == "exp":
        y = rng.poisson(2.0, (20, k)).astype(float)
    else:
        y = rng.normal(size=(20, k))
    head = make_head("log_loss" if "log_loss" in loss else loss, output)
    for w in (None, rng.uniform(0, 2, 20)):
        activated = z.copy()
        weights = None if w is None else w.reshape(-1, 1)
        norm = None if w is None else w.sum()
        ours = float(head.loss_and_delta(np, activated, y, None, weights, norm))
        theirs = LOSS_FUNCTIONS[loss](y, activated.copy(), w)
        assert ours == pytest.approx(theirs, rel=1e-10)
