"""The training loop: determinism, callbacks, cancellation, stopping rules, divergence."""

from __future__ import annotations

import numpy as np
import pytest

from engine import (
    DivergenceError,
    EngineError,
    EpochReport,
    FitCancelled,
    MLPParams,
    Trainer,
    fit,
)
from engine.metrics import accuracy, r2

SMALL = {"hidden_layer_sizes": (16,), "random_state": 0, "max_iter": 30, "batch_size": 16}


def _weights(model) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    return [a for layer in model.layers() for a in layer]


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adagrad", "adamw"])
def test_same_inputs_give_bit_identical_weights(blobs, solver) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(**{**SMALL, "solver": solver, "dropout": 0.2})
    a = fit(X, y, task="classification", params=params)
    b = fit(X, y, task="classification", params=params)
    assert all(np.array_equal(u, v) for u, v in zip(_weights(a), _weights(b), strict=True))
    c = fit(X, y, task="classification", params=MLPParams(**{**SMALL, "random_state": 1}))
    assert not np.array_equal(_weights(a)[0], _weights(c)[0])


def test_learns_classification_and_regression(blobs, linear) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    m = fit(X, y, task="classification", params=MLPParams(**SMALL))
    assert accuracy(y, m.predict(X)) > 0.95
    assert m.predict(X).dtype == y.dtype
    X, y = linear
    r = fit(X, y, task="regression", params=MLPParams(**{**SMALL, "max_iter": 200}))
    assert r2(y, r.predict(X)) > 0.95
    assert r.predict(X).dtype == np.float32 and r.predict(X).shape == (100,)  # training dtype


def test_binary_and_multi_target(linear) -> None:  # type: ignore[no-untyped-def]
    X, y = linear
    labels = y > np.median(y)
    m = fit(X, labels, task="classification", params=MLPParams(**SMALL))
    assert m.n_outputs_ == 1 and m.output_activation == "logistic"
    assert m.classes_ is not None and m.classes_.tolist() == [False, True]
    proba = m.predict_proba(X)
    assert proba.shape == (100, 2) and np.allclose(proba.sum(1), 1)
    Y = np.column_stack([y, -2 * y])
    r = fit(X, Y, task="regression", params=MLPParams(**SMALL))
    assert r.predict(X).shape == (100, 2) and r.n_outputs_ == 2


def test_on_epoch_reports_every_epoch(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    reports: list[EpochReport] = []
    trainer = Trainer(
        X,
        y,
        task="classification",
        params=MLPParams(**{**SMALL, "max_iter": 5, "early_stopping": True}),
    )
    assert trainer.epoch == 0 and trainer.max_epochs == 5
    model = trainer.run(on_epoch=reports.append)
    assert [r["epoch"] for r in reports] == [1, 2, 3, 4, 5]
    assert set(reports[0]) == {
        "epoch",
        "loss",
        "val_loss",
        "val_score",
        "train_rmse",
        "learning_rate",
        "seconds",
    }
    assert all(r["val_loss"] is not None and 0 <= r["val_score"] <= 1 for r in reports)
    assert model.history == reports == trainer.history
    assert model.n_iter_ == 5
    assert model.final_metrics()["loss"] == reports[-1]["loss"]


def test_should_stop_cancels_within_an_epoch(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    trainer = Trainer(X, y, task="classification", params=MLPParams(**{**SMALL, "batch_size": 8}))
    with pytest.raises(FitCancelled) as info:
        trainer.run(should_stop=stop, stop_check_every=2)
    assert info.value.epoch == 0  # 15 batches per epoch, stopped inside the first
    with pytest.raises(EngineError):
        trainer.checkpoint()  # the weights are mid-epoch


def test_should_stop_between_epochs(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    seen: list[int] = []
    trainer = Trainer(X, y, task="classification", params=MLPParams(**SMALL))
    with pytest.raises(FitCancelled) as info:
        trainer.run(on_epoch=lambda r: seen.append(r["epoch"]), should_stop=lambda: len(seen) == 2)
    assert info.value.epoch == 2 and trainer.epoch == 2


def test_divergence_names_the_epoch_and_suggests_a_lower_rate(linear) -> None:  # type: ignore[no-untyped-def]
    X, y = linear
    params = MLPParams(
        solver="sgd",
        learning_rate_init=1e4,
        momentum=0.9,
        standardize=False,
        hidden_layer_sizes=(8,),
        random_state=0,
        max_iter=50,
    )
    epochs: list[int] = []
    with pytest.raises(DivergenceError, match=r"epoch \d+.*learning_rate_init") as info:
        fit(X, y, task="regression", params=params, on_epoch=lambda r: epochs.append(r["epoch"]))
    assert info.value.epoch == len(epochs) + 1
    assert f"epoch {info.value.epoch}:" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_training_loss_stopping_rule(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(**{**SMALL, "max_iter": 500, "tol": 0.5, "n_iter_no_change": 3})
    m = fit(X, y, task="classification", params=params)
    # scikit-learn's rule: stop once the loss failed to improve by tol for more than 3 epochs
    assert m.n_iter_ < 500
    losses = [h["loss"] for h in m.history]
    assert m.n_iter_ == 5 or min(losses[:-4]) - min(losses[-4:]) < 0.5


def test_adaptive_schedule_lowers_the_rate_instead_of_stopping(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(
        **{
            **SMALL,
            "max_iter": 60,
            "solver": "sgd",
            "learning_rate": "adaptive",
            "tol": 10.0,
            "n_iter_no_change": 2,
            "learning_rate_init": 0.01,
        }
    )
    m = fit(X, y, task="classification", params=params)
    rates = [h["learning_rate"] for h in m.history]
    assert rates[0] == 0.01 and rates[4] == pytest.approx(0.002)
    assert rates[-1] <= 1e-6 * 5 and m.n_iter_ < 60


def test_early_stopping_restores_the_best_weights(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(
        **{
            **SMALL,
            "max_iter": 200,
            "early_stopping": True,
            "n_iter_no_change": 4,
            "learning_rate_init": 0.05,
        }
    )
    trainer = Trainer(X, y, task="classification", params=params)
    model = trainer.run()
    scores = [h["val_score"] for h in model.history]
    assert model.best_epoch is not None and model.n_iter_ < 200
    assert scores[model.best_epoch - 1] == max(scores)  # type: ignore[type-var]
    assert model.best_epoch == 1 + scores.index(max(scores))
    val = trainer.data
    assert val.X_val is not None and val.X_val.shape[0] == 12


def test_stratified_validation_split_keeps_class_shares(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    trainer = Trainer(
        X,
        y,
        task="classification",
        params=MLPParams(early_stopping=True, validation_fraction=0.25, random_state=0),
    )
    truth = trainer.data.val_truth
    assert truth is not None and truth.shape[0] == 30
    full = np.bincount(np.unique(y, return_inverse=True)[1]) / 120
    assert np.allclose(np.bincount(truth) / 30, full, atol=0.04)


def test_float64_training(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    m = fit(X, y, task="classification", params=MLPParams(**SMALL), dtype=np.float64)
    assert m.layers()[0][0].dtype == np.float32  # export view
    assert accuracy(y, m.predict(X)) > 0.95
    with pytest.raises(ValueError, match=r"^dtype"):
        Trainer(X, y, task="classification", params=MLPParams(), dtype=np.int32)


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive", "cosine", "plateau"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_every_schedule_trains(blobs, schedule, solver) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(
        **{
            **SMALL,
            "max_iter": 10,
            "solver": solver,
            "learning_rate": schedule,
            "learning_rate_init": 0.01,
            "clip_grad_norm": 5.0,
            "l1": 1e-4,
        }
    )
    m = fit(X, y, task="classification", params=params)
    assert m.history[-1]["loss"] < m.history[0]["loss"]


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber"])
def test_regression_losses_train(linear, loss) -> None:  # type: ignore[no-untyped-def]
    X, y = linear
    m = fit(
        X,
        y,
        task="regression",
        params=MLPParams(**{**SMALL, "max_iter": 100, "loss": loss, "learning_rate_init": 0.01}),
    )
    assert r2(y, m.predict(X)) > 0.9


def test_clip_grad_norm_bounds_the_gradient(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    trainer = Trainer(X, y, task="classification", params=MLPParams(**SMALL))
    net = trainer.net
    net.train_batch(trainer.data.X_train[:16], trainer.data.Y_train[:16])
    norm = float(np.linalg.norm(net.grads))
    net.clip_gradient(norm / 10)
    assert float(np.linalg.norm(net.grads)) == pytest.approx(norm / 10, rel=1e-5)


def test_trainer_exposes_resolved_params_and_takes_an_array_module(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    trainer = Trainer(X, y, task="classification", params=MLPParams(max_iter=3), xp=np)
    assert trainer.params.batch_size == 120 and trainer.params.loss == "log_loss"
    assert trainer.max_epochs == 3 and trainer.history == []
    model = trainer.run()
    assert model.params == trainer.params and model.n_iter_ == 3 and model.best_epoch is None
