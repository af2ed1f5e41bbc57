"""``validated=True`` (the API's parsers already checked the rows) skips the input checks and
nothing else: the same numbers, bit for bit, for every kind of model."""

from __future__ import annotations

import numpy as np
import pytest

from engine import FittedModel, MLPParams, fit


def _fit(X: np.ndarray, y: np.ndarray, task: str, **params: object) -> FittedModel:
    resolved = MLPParams(max_iter=5, random_state=0, **params).resolve(task, len(X))  # type: ignore[arg-type]
    return fit(X, y, task=task, params=resolved)  # type: ignore[arg-type]


@pytest.fixture
def X() -> np.ndarray:
    return np.random.default_rng(3).normal(size=(80, 4)).astype(np.float32)


def _models(X: np.ndarray) -> list[FittedModel]:
    multiclass = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    binary = (X[:, 0] > 0).astype(np.int64)
    multilabel = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(np.int64)
    target = X @ np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32) + 10
    return [
        _fit(X, multiclass, "classification", hidden_layer_sizes=(16, 8)),
        _fit(X, binary, "classification", hidden_layer_sizes=(8,), activation="tanh"),
        _fit(X, multilabel, "classification", hidden_layer_sizes=(8,)),
        _fit(X, target, "regression", hidden_layer_sizes=(8,), activation="logistic"),
    ]


@pytest.mark.parametrize("rows", [1, 3, 80])
def test_validated_rows_give_the_same_bits(X: np.ndarray, rows: int) -> None:
    for model in _models(X):
        batch = X[:rows].copy()
        assert np.array_equal(model.predict(batch, validated=True), model.predict(batch))
        if model.task == "classification":
            assert np.array_equal(
                model.predict_proba(batch, validated=True), model.predict_proba(batch)
            )


def test_unvalidated_rows_are_still_checked(X: np.ndarray) -> None:
    model = _models(X)[0]
    bad = X[:2].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="finite"):
        model.predict_proba(bad)
    with pytest.raises(ValueError, match="expected 4 features"):
        model.predict(X[:2, :3])
