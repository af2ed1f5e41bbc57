"""Input checks, preprocessing and the validation split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import FittedModel, MLPParams, Trainer, fit
from engine.preprocessing import column_stats, encode_labels, standardize
from engine.splitting import train_validation_split

P = MLPParams(hidden_layer_sizes=(3,), max_iter=2, random_state=0)


@pytest.mark.parametrize(
    "X,y,task,message",
    [
        (np.zeros(5), np.zeros(5), "regression", "^X: expected a 2-D"),
        (np.zeros((0, 3)), np.zeros(0), "regression", "^X: need at least 1 sample"),
        (np.zeros((4, 0)), np.zeros(4), "regression", "^X: need at least 1 feature"),
        (np.array([[1.0, np.nan], [0, 1]]), np.zeros(2), "regression", "^X: .*finite"),
        (np.array([[1.0, np.inf], [0, 1]]), np.zeros(2), "regression", "^X: .*finite"),
        (np.array([["a", "b"], ["c", "d"]]), np.zeros(2), "regression", "^X: .*numbers"),
        (np.zeros((4, 2)), np.zeros(3), "regression", "^y: has 3 entries but X has 4"),
        (np.zeros((4, 2)), np.array(["a", "b", "c", "d"]), "regression", "^y: .*numeric"),
        (np.zeros((4, 2)), np.array([1.0, np.nan, 0, 0]), "regression", "^y: .*finite"),
        (np.zeros((4, 2)), np.ones(4), "classification", "^y: .*at least 2 classes"),
        (np.zeros((4, 2)), np.zeros((4, 2, 1)), "classification", "^y: .*one label per sample"),
        (np.zeros((4, 2)), np.full((4, 2), 2), "classification", "^y: .*indicator matrix"),
        (
            np.zeros((4, 2)),
            np.array(["a", 1, "b", 2], dtype=object),
            "classification",
            "^y: .*one type",
        ),
        (np.zeros((4, 2)), np.zeros(4), "clustering", "^task: "),
    ],
)
def test_bad_data_raises_value_error_naming_it(X: Any, y: Any, task: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Trainer(X, y, task=task, params=P)  # type: ignore[arg-type]


def test_params_must_be_mlpparams() -> None:
    with pytest.raises(TypeError, match="params"):
        Trainer(np.zeros((4, 2)), np.zeros(4), task="regression", params={})  # type: ignore[arg-type]


def test_validation_fraction_too_small_for_the_data() -> None:
    X, y = np.random.default_rng(0).normal(size=(3, 2)), np.array([0, 1, 2])
    with pytest.raises(ValueError, match=r"^validation_fraction: "):
        Trainer(X, y, task="classification", params=MLPParams(early_stopping=True))


def test_constant_columns_do_not_divide_by_zero() -> None:
    X = np.column_stack([np.full(50, 0.1), np.zeros(50), np.arange(50.0), np.full(50, -3e5)])
    mean, scale = column_stats(X)
    assert scale[0] == 1.0 and scale[1] == 1.0 and scale[3] == 1.0
    assert scale[2] == pytest.approx(np.std(np.arange(50.0)))
    Z = standardize(X, mean.astype(np.float32), scale.astype(np.float32), np.float32)
    assert np.isfinite(Z).all() and np.allclose(Z[:, [0, 1, 3]], 0, atol=1e-3)
    m = fit(X, X[:, 2] > 20, task="classification", params=P)
    assert np.isfinite(m.predict_proba(X)).all()


def test_standardize_does_not_modify_the_input() -> None:
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    before = X.copy()
    standardize(X, np.ones(2, np.float32), np.full(2, 2, np.float32), np.float32)
    assert np.array_equal(X, before)


def test_label_encoding_sorts_like_unique() -> None:
    classes, idx = encode_labels(np.array(["b", "a", "c", "a"]))
    assert classes.tolist() == ["a", "b", "c"] and idx.tolist() == [1, 0, 2, 0]
    classes, idx = encode_labels(np.array(["x", "y"], dtype=object))
    assert classes.dtype.kind == "U"
    with pytest.raises(ValueError, match="finite"):
        encode_labels(np.array([1.0, np.nan]))


def test_regression_targets_are_standardized_and_restored() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = 1000 + 50 * X[:, 0]
    trainer = Trainer(X, y, task="regression", params=P)
    assert abs(float(trainer.data.Y_train.mean())) < 1e-5
    assert float(trainer.data.Y_train.std()) == pytest.approx(1.0, rel=1e-4)
    pred = trainer.run().predict(X)
    assert 500 < pred.mean() < 1500


def test_without_standardization_float32_input_is_not_copied() -> None:
    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    trainer = Trainer(
        X, X[:, 0] > 0, task="classification", params=MLPParams(standardize=False, max_iter=1)
    )
    assert trainer.data.X_train.source is X or np.shares_memory(trainer.data.X_train.source, X)
    assert trainer.run().x_mean_ is None


def test_split_sizes_and_disjointness() -> None:
    rng = np.random.default_rng(0)
    train, val = train_validation_split(101, 0.1, rng)
    assert val.size == 11 and train.size == 90
    assert np.intersect1d(train, val).size == 0 and np.union1d(train, val).size == 101
    labels = np.array([0] * 90 + [1] * 9 + [2] * 2)
    train, val = train_validation_split(101, 0.2, rng, labels)
    assert val.size == 21
    assert set(labels[train]) == {0, 1, 2}  # every class keeps a training sample


# ---- targets given as class indices plus the class table (how the service stores them) ----


def _weights(model: FittedModel) -> list[np.ndarray]:
    return [a for layer in model.weights() for a in layer]


def _codes(labels: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    table, codes = np.unique(labels, return_inverse=True)
    return codes.astype(np.uint8), table.tolist()


EARLY = MLPParams(
    hidden_layer_sizes=(6,), max_iter=5, random_state=0, early_stopping=True, batch_size=16
)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["ant", "bee", "cat", "a" * 300])[np.arange(120) % 4],
        (np.arange(120) % 3 == 0),
        np.array([-5, 7, 100])[np.arange(120) % 3],
    ],
    ids=["strings", "bools", "ints"],
)
def test_training_on_codes_is_training_on_the_labels(labels: np.ndarray) -> None:
    X = np.random.default_rng(0).normal(size=(120, 4))
    codes, classes = _codes(labels)
    on_labels = Trainer(X, labels, task="classification", params=EARLY).run()
    on_codes = Trainer(X, codes, task="classification", params=EARLY, classes=classes).run()
    assert all(
        np.array_equal(a, b) for a, b in zip(_weights(on_codes), _weights(on_labels), strict=True)
    )
    assert on_codes.classes_ is not None and on_labels.classes_ is not None
    assert on_codes.classes_.dtype.kind == on_labels.classes_.dtype.kind
    assert on_codes.classes_.tolist() == classes == on_labels.classes_.tolist()
    assert on_codes.predict(X).tolist() == on_labels.predict(X).tolist()
    assert type(on_codes.predict(X[:1]).tolist()[0]) is type(labels.tolist()[0])


def test_resume_with_codes_is_bit_identical(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, labels = blobs
    codes, classes = _codes(labels)
    saved: list[bytes] = []
    trainer = Trainer(X, codes, task="classification", params=EARLY, classes=classes)
    full = trainer.run(on_epoch=lambda report: saved.append(trainer.checkpoint()))
    resumed = Trainer.resume(X, codes, saved[1], classes=classes).run()
    assert all(np.array_equal(a, b) for a, b in zip(_weights(resumed), _weights(full), strict=True))
    # a checkpoint taken while training on the labels resumes on the codes, and back
    on_labels: list[bytes] = []
    by_labels = Trainer(X, labels, task="classification", params=EARLY)
    by_labels.run(on_epoch=lambda report: on_labels.append(by_labels.checkpoint()))
    crossed = Trainer.resume(X, codes, on_labels[1], classes=classes).run()
    assert all(np.array_equal(a, b) for a, b in zip(_weights(crossed), _weights(full), strict=True))


def test_regression_on_codes_trains_on_their_values() -> None:
    X = np.random.default_rng(1).normal(size=(60, 3))
    values = np.array([1, 4, 9, 16])[np.arange(60) % 4]
    codes, classes = _codes(values)
    on_values = Trainer(X, values, task="regression", params=P).run()
    on_codes = Trainer(X, codes, task="regression", params=P, classes=classes).run()
    assert np.array_equal(on_codes.predict(X), on_values.predict(X))
    with pytest.raises(ValueError, match=r"^y: .*numeric"):
        Trainer(X, codes, task="regression", params=P, classes=["a", "b", "c", "d"])


@pytest.mark.parametrize(
    "y,classes,message",
    [
        (np.array([0, 1, 2, 1]), ["a", "b"], r"^y: class indices must lie in \[0, 2\), got 2"),
        (np.array([0, -1, 1, 1]), ["a", "b"], r"^y: class indices .* got -1"),
        (np.array(["a", "b", "a", "b"]), ["a", "b"], "^y: with classes given, y must hold"),
        (np.array([0.0, 1.0, 0.0, 1.0]), ["a", "b"], "^y: with classes given, y must hold"),
        (np.array([0, 1, 0, 1]), ["b", "a"], "^classes: must be sorted and distinct"),
        (np.array([0, 1, 0, 1]), ["a", "a"], "^classes: must be sorted and distinct"),
        (np.array([0, 0, 0, 0]), ["a"], "^y: .*at least 2 classes"),
        (np.array([0, 1, 0, 1]), [[1], [2]], "^classes: expected a list"),
    ],
)
def test_bad_codes_or_classes_raise_value_error(y: Any, classes: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Trainer(np.zeros((4, 2)), y, task="classification", params=P, classes=classes)
