"""Edge cases, decided as scikit-learn decides them (docs/engine-vs-scikit-learn.md lists where
the engine differs on purpose)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from engine import DivergenceError, MLPParams, ParamError, Trainer, dump_model, fit, load_model
from engine.requirements import check_trainable


def _sklearn(task: str, X: np.ndarray, y: np.ndarray, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = MLPClassifier if task == "classification" else MLPRegressor
        return estimator(**kw).fit(X, y)


def test_the_smallest_data_sets_train() -> None:
    X = np.array([[1.0, 2.0]])
    for params in (MLPParams(max_iter=5), MLPParams(solver="lbfgs", max_iter=5)):
        model = fit(X, [3.0], task="regression", params=params)
        assert np.isfinite(model.predict(X)).all()
    _sklearn("regression", X, np.array([3.0]), max_iter=5)  # scikit-learn too
    two = np.array([[0.0], [1.0]])
    model = fit(two, ["a", "b"], task="classification", params=MLPParams(max_iter=50))
    assert model.predict(two).tolist() == ["a", "b"]
    check_trainable(MLPParams(), "regression", 1, 0)


@pytest.mark.parametrize(
    "task,n,labels,fraction,field",
    [
        ("regression", 10, None, 0.1, "validation_fraction"),  # 1 row held out: too few
        ("regression", 1, None, 0.1, "validation_fraction"),
        ("regression", 50, None, 0.0, "validation_fraction"),
        ("classification", 10, [0, 1], 0.1, "validation_fraction"),  # 1 held out
        ("classification", 20, [0, 1], 0.95, "validation_fraction"),  # 1 left to train on
        ("classification", 21, [0, 1], 0.2, "early_stopping"),  # a binary class of 1 row
    ],
)
def test_splits_scikit_learn_refuses_are_refused(
    task: str, n: int, labels: list[int] | None, fraction: float, field: str
) -> None:
    X = np.random.default_rng(0).normal(size=(n, 3))
    if labels is None:
        y = X[:, 0]
    elif field == "early_stopping":
        y = np.array([0] * 20 + [1])
    else:
        y = np.array(labels * n)[:n]
    params = MLPParams(early_stopping=True, validation_fraction=fraction, max_iter=2)
    with pytest.raises(ParamError, match=f"^{field}: ") as info:
        Trainer(X, y, task=task, params=params)  # type: ignore[arg-type]
    assert info.value.field == field
    with pytest.raises(ValueError):
        _sklearn(task, X, y, early_stopping=True, validation_fraction=fraction, max_iter=2)
    if field == "validation_fraction":  # what the service can tell before queueing
        n_classes = 0 if labels is None else len(set(labels))
        with pytest.raises(ParamError, match=f"^{field}: "):
            check_trainable(params, task, n, n_classes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "y",
    [
        np.array([0, 1] * 10),  # binary: 1 row of each class held out
        np.array([0, 1, 2] * 6 + [0, 1]),  # 3 classes, 2 held out: not stratifiable
        np.array([0] * 10 + [1] * 9 + [2]),  # a class of 1 row
    ],
)
def test_the_splits_scikit_learn_takes_are_taken(y: np.ndarray) -> None:
    """scikit-learn splits multiclass targets at random: whatever their counts, they train."""
    X = np.random.default_rng(0).normal(size=(20, 3))
    params = MLPParams(early_stopping=True, validation_fraction=0.1, max_iter=2)
    trainer = Trainer(X, y, task="classification", params=params)
    trainer.run()
    assert trainer.data.X_val is not None and trainer.data.X_val.shape[0] == 2
    _sklearn("classification", X, y, early_stopping=True, validation_fraction=0.1, max_iter=2)


def _diverging(**extra: Any) -> tuple[np.ndarray, np.ndarray, MLPParams]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = X @ np.array([1.0, 2.0, 3.0, 4.0]) * 100
    params = MLPParams(  # a few good epochs, then the unscaled targets make it diverge
        hidden_layer_sizes=(8,),
        solver="sgd",
        momentum=0.9,
        standardize=False,
        random_state=0,
        max_iter=50,
        learning_rate_init=0.003,
        **extra,
    )
    return X, y, params


def test_a_diverging_fit_without_early_stopping_fails() -> None:
    X, y, params = _diverging()
    with pytest.raises(DivergenceError) as info:
        fit(X, y, task="regression", params=params)
    assert isinstance(info.value, ValueError)  # scikit-learn raises a ValueError too


def test_a_diverging_fit_with_early_stopping_ends_on_its_best_weights() -> None:
    X, y, params = _diverging(early_stopping=True, n_iter_no_change=1000)
    trainer = Trainer(X, y, task="regression", params=params)
    model = trainer.run()
    assert trainer.diverged and not trainer.converged and 1 <= model.n_iter_ < 50
    scores = [h["val_score"] for h in model.history]
    assert model.best_epoch == 1 + scores.index(max(scores))  # type: ignore[type-var]
    assert np.isfinite(model.predict(X)).all()
    assert load_model(dump_model(model)).training is not None  # finite, continuable


def test_numpy_parameter_values_fit() -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    params = MLPParams(
        hidden_layer_sizes=np.array([5]),  # type: ignore[arg-type]
        max_iter=np.int64(3),  # type: ignore[arg-type]
        alpha=np.float32(0.001),
        batch_size=np.int32(8),  # type: ignore[arg-type]
        shuffle=np.bool_(True),  # type: ignore[arg-type]
        random_state=np.int64(0),  # type: ignore[arg-type]
    )
    model = fit(X, X[:, 0] > 0, task="classification", params=params)
    assert model.n_iter_ == 3 and model.params.to_dict()["max_iter"] == 3


def test_infinite_patience_never_stops_early() -> None:
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = X[:, 0] > 0
    kw = {"max_iter": 25, "tol": 100.0, "random_state": 0}
    model = fit(X, y, task="classification", params=MLPParams(**kw, n_iter_no_change=np.inf))
    assert model.n_iter_ == 25
    assert _sklearn("classification", X, y, **kw, n_iter_no_change=np.inf).n_iter_ == 25
    assert fit(X, y, task="classification", params=MLPParams(**kw)).n_iter_ < 25
