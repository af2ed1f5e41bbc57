"""Continuing a model: scikit-learn's warm_start and partial_fit, and the service's
init_model_id (``Trainer.from_model``), through the model blob."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from engine import (
    FittedModel,
    MLPParams,
    ModelFormatError,
    ParamError,
    Trainer,
    dump_model,
    load_model,
    partial_fit,
)
from engine.blob import pack, unpack
from tests.engine.sklearn_start import max_difference, sklearn_initial_weights


def _digits(n: int = 450) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:n], y[:n]


def _kw(solver: str) -> dict[str, Any]:
    return {
        "hidden_layer_sizes": (20,),
        "random_state": 0,
        "alpha": 0.01,
        "solver": solver,
        "max_iter": 4,
        "shuffle": False,
        "batch_size": 64,
        "learning_rate": "invscaling" if solver == "sgd" else "constant",
    }


def _ours(X: np.ndarray, y: np.ndarray, kw: dict[str, Any], **extra: Any) -> Trainer:
    params = MLPParams(**kw, standardize=False, dtype="float64")
    trainer = Trainer(X, y, task="classification", params=params, **extra)
    sklearn_initial_weights(trainer, 0)
    return trainer


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_warm_start_is_scikit_learns(solver: str) -> None:
    """warm_start: a second fit from the first's weights, with a fresh solver (scikit-learn
    builds a new optimizer) and the stopping counters carried over."""
    X, y = _digits()
    kw = _kw(solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(**kw, warm_start=True).fit(X, y)
        ref.fit(X[:300], y[:300])
    first = _ours(X, y, kw).run()
    again = Trainer.from_model(
        load_model(dump_model(first)), X[:300], y[:300], keep_optimizer=False, keep_stopping=True
    ).run()
    assert max_difference(again.coefs_ + again.intercepts_, ref.coefs_ + ref.intercepts_) < 1e-12
    assert again.t_ == ref.t_


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_is_scikit_learns(solver: str) -> None:
    X, y = _digits()
    kw = _kw(solver)
    ref = MLPClassifier(**kw)
    chunks = [slice(0, 150), slice(100, 250), slice(200, 450)]
    for rows in chunks:
        ref.partial_fit(X[rows], y[rows], classes=np.arange(10))
    # the first call: every class declared, y as indices into them
    model = _ours(X[chunks[0]], y[chunks[0]], {**kw, "max_iter": 1}, classes=np.arange(10)).run()
    for rows in chunks[1:]:
        model = partial_fit(load_model(dump_model(model)), X[rows], y[rows])
    assert max_difference(model.coefs_ + model.intercepts_, ref.coefs_ + ref.intercepts_) < 1e-12
    assert (model.t_, model.n_iter_) == (ref.t_, ref.n_iter_) == (450 + 100, 1)


def test_continuing_through_the_blob_is_the_uninterrupted_fit(blobs) -> None:  # type: ignore[no-untyped-def]
    """The model carries Adam's moments, its step count, the schedule and t_: 3 epochs then 3
    more from the saved model are the 6-epoch fit, bit for bit (no shuffling)."""
    X, y = blobs
    kw = {"hidden_layer_sizes": (8,), "random_state": 0, "shuffle": False, "batch_size": 16}
    six = Trainer(X, y, task="classification", params=MLPParams(**kw, max_iter=6)).run()
    three = Trainer(X, y, task="classification", params=MLPParams(**kw, max_iter=3)).run()
    more = Trainer.from_model(load_model(dump_model(three)), X, y).run()
    assert all(np.array_equal(a, b) for a, b in zip(more.coefs_, six.coefs_, strict=True))
    assert [h["loss"] for h in more.history] == [h["loss"] for h in six.history[3:]]
    assert more.t_ == six.t_ == 6 * 120


def test_a_continued_fit_keeps_classes_and_standardization(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    model = Trainer(X, y, task="classification", params=MLPParams(max_iter=2)).run()
    some = y != "cat"  # a dataset with a subset of the labels, on another scale
    again = Trainer.from_model(model, X[some] * 3 + 1, y[some]).run()
    assert again.classes_.tolist() == ["ant", "bee", "cat"]  # type: ignore[union-attr]
    assert np.array_equal(again.x_mean_, model.x_mean_)  # not re-standardized
    with pytest.raises(ValueError, match=r"does not know.*dog"):
        Trainer.from_model(model, X, np.where(y == "cat", "dog", y))
    with pytest.raises(ParamError, match=r"^hidden_layer_sizes"):
        Trainer.from_model(model, X, y, params=MLPParams(hidden_layer_sizes=(3,)))
    with pytest.raises(ParamError, match=r"^activation"):
        Trainer.from_model(model, X, y, params=replace(model.params, activation="tanh"))
    with pytest.raises(ValueError, match="features"):
        Trainer.from_model(model, X[:, :3], y).run()


def test_a_continued_regression_keeps_its_output_layer(linear) -> None:  # type: ignore[no-untyped-def]
    X, y = linear
    model = Trainer(X, y, task="regression", params=MLPParams(max_iter=2)).run()
    with pytest.raises(ParamError, match=r"^loss"):
        Trainer.from_model(model, X, y, params=replace(model.params, loss="poisson"))
    huber = Trainer.from_model(model, X, y, params=replace(model.params, loss="huber")).run()
    assert np.array_equal(huber.y_scale_, model.y_scale_)


def test_a_continued_fit_resumes_from_its_checkpoints(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(hidden_layer_sizes=(8,), random_state=0, max_iter=3, early_stopping=True)
    model = Trainer(X, y, task="classification", params=params).run()
    saved: list[bytes] = []
    trainer = Trainer.from_model(model, X * 2, y, params=replace(params, max_iter=5))
    full = trainer.run(on_epoch=lambda _r: saved.append(trainer.checkpoint()))
    resumed = Trainer.resume(X * 2, y, saved[1]).run()
    assert all(np.array_equal(a, b) for a, b in zip(resumed.coefs_, full.coefs_, strict=True))
    with pytest.raises(ModelFormatError, match="other data"):
        Trainer.resume(X * 3, y, saved[1])


def test_a_solver_change_restarts_the_solver(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    model = Trainer(X, y, task="classification", params=MLPParams(max_iter=2)).run()
    sgd = Trainer.from_model(model, X, y, params=replace(model.params, solver="sgd"))
    assert float(np.abs(sgd.optimizer.velocity).max()) == 0.0
    assert sgd._samples_seen == model.t_ == 240
    lbfgs = Trainer.from_model(model, X, y, params=replace(model.params, solver="lbfgs")).run()
    assert lbfgs.history[-1]["loss"] < model.history[-1]["loss"]


def test_models_saved_before_training_states_still_load_and_continue(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    model = Trainer(X, y, task="classification", params=MLPParams(max_iter=2)).run()
    arrays, doc = unpack(dump_model(model, training_state=False), "model")
    for key in ("training", "multilabel", "output_activation"):
        del doc[key]
    doc["version"] = 1
    old = load_model(pack(arrays, doc))
    assert old.training is None and old.output_activation == "softmax"
    assert np.array_equal(old.predict_proba(X), model.predict_proba(X))
    again = Trainer.from_model(old, X, y).run()  # a fresh solver from the old weights
    assert isinstance(again, FittedModel) and again.n_iter_ == 2
