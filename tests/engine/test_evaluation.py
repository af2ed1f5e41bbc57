"""A fitted model's scores per split equal scikit-learn's metrics on its own predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

import engine.evaluation
from engine import MLPParams, fit
from engine.evaluation import model_codes, score

SMALL = {"hidden_layer_sizes": (8,), "max_iter": 15, "random_state": 0}


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classification_scores_are_scikit_learns(n_classes: int) -> None:
    rng = np.random.default_rng(n_classes)
    X = rng.normal(size=(150, 4))
    labels = np.array(["ant", "bee", "cat"][:n_classes])
    y = labels[rng.integers(0, n_classes, 150)]
    model = fit(X, y, task="classification", params=MLPParams(**SMALL))  # type: ignore[arg-type]
    rows = np.arange(10, 150, 3)
    got = score(model, X, model_codes(model.classes_, y, None), rows)
    proba, pred = model.predict_proba(X[rows]), model.predict(X[rows])
    truth = y[rows]
    assert got["n_samples"] == rows.shape[0]
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(truth, pred), abs=1e-6)
    assert got["balanced_accuracy"] == pytest.approx(
        sk.balanced_accuracy_score(truth, pred), abs=1e-6
    )
    assert got["f1_macro"] == pytest.approx(sk.f1_score(truth, pred, average="macro"), abs=1e-6)
    assert got["log_loss"] == pytest.approx(
        sk.log_loss(truth, proba, labels=model.classes_), abs=1e-6
    )
    if n_classes == 2:
        assert got["roc_auc"] == pytest.approx(sk.roc_auc_score(truth, proba[:, 1]), abs=1e-6)
    else:
        assert got["roc_auc"] is None


def test_regression_scores_are_in_the_targets_units() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([300.0, -200.0, 50.0]) + 10_000  # far from standardized
    model = fit(X, y, task="regression", params=MLPParams(**SMALL))  # type: ignore[arg-type]
    got = score(model, X, y, None)
    pred = model.predict(X)
    assert got["rmse"] == pytest.approx(sk.root_mean_squared_error(y, pred), abs=1e-6)
    assert got["mae"] == pytest.approx(sk.mean_absolute_error(y, pred), abs=1e-6)
    assert got["r2"] == pytest.approx(sk.r2_score(y, pred), abs=1e-6)
    assert got["rmse"] > 10  # not the standardized scale's
    assert score(model, X, y, np.array([3]))["r2"] is None  # undefined for one row


def test_chunks_do_not_change_the_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(90, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    model = fit(X, y, task="classification", params=MLPParams(**SMALL))  # type: ignore[arg-type]
    codes = model_codes(model.classes_, y, None)
    whole = score(model, X, codes, None)
    monkeypatch.setattr(engine.evaluation, "CHUNK_ELEMENTS", 8 * 7)  # 7 rows per chunk
    chunked = score(model, X, codes, None)
    assert chunked.keys() == whole.keys()
    # The counts are exact; log_loss sums float32 probabilities, which BLAS's kernels round
    # differently for 7 rows than for 90 (a few ulps of float32, ~1e-9 here).
    assert all(chunked[k] == pytest.approx(whole[k], rel=1e-7, abs=1e-12) for k in whole)
    assert {k for k in whole if chunked[k] != whole[k]} <= {"log_loss"}


def test_codes_of_another_dataset_map_onto_the_models_classes() -> None:
    classes = np.array(["ant", "bee", "cat"])
    # a test set whose own class table is a subset, stored as codes into it
    assert model_codes(classes, np.array([0, 1, 1]), ["bee", "cat"]).tolist() == [1, 2, 2]
    assert model_codes(classes, np.array(["cat", "ant"]), None).tolist() == [2, 0]
    with pytest.raises(ValueError, match="does not know"):
        model_codes(classes, np.array([0]), ["dog"])
    with pytest.raises(ValueError, match="does not know"):
        model_codes(classes, np.array(["dog"]), None)


def test_multilabel_scores_are_scikit_learns() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(160, 4))
    Y = (X[:, :3] + rng.normal(0, 0.5, (160, 3)) > 0).astype(int)
    model = fit(X, Y, task="classification", params=MLPParams(**SMALL))  # type: ignore[arg-type]
    got = score(model, X, Y, np.arange(0, 160, 2))
    truth, pred = Y[::2], model.predict(X[::2])
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(truth, pred), abs=1e-12)
    assert got["f1_macro"] == pytest.approx(sk.f1_score(truth, pred, average="macro"), abs=1e-12)
    assert got["roc_auc"] == pytest.approx(
        sk.roc_auc_score(truth, model.predict_proba(X[::2])), abs=1e-9
    )
    assert got["balanced_accuracy"] is None and got["log_loss"] is None
