"""Checkpoint and resume: a fit resumed from epoch k ends bit-identical to the uninterrupted one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import (
    EngineError,
    FitCancelled,
    FittedModel,
    MLPParams,
    ModelFormatError,
    Trainer,
    dump_model,
    load_model,
)
from engine.blob import pack, unpack


def _weights(model: FittedModel) -> list[np.ndarray]:
    return [a for layer in model.weights() for a in layer]


def _fit_with_checkpoints(
    X: Any, y: Any, task: str, params: MLPParams, **kw: Any
) -> tuple[FittedModel, dict[int, bytes]]:
    saved: dict[int, bytes] = {}
    trainer = Trainer(X, y, task=task, params=params, **kw)  # type: ignore[arg-type]
    model = trainer.run(on_epoch=lambda r: saved.__setitem__(r["epoch"], trainer.checkpoint()))
    return model, saved


CASES = [
    ("classification", {"solver": "adam", "shuffle": True}),
    (
        "classification",
        {
            "solver": "sgd",
            "early_stopping": True,
            "n_iter_no_change": 3,
            "learning_rate_init": 0.1,
            "max_iter": 40,
        },
    ),
    ("classification", {"solver": "adamw", "dropout": 0.3, "learning_rate": "cosine"}),
    (
        "classification",
        {
            "solver": "rmsprop",
            "learning_rate": "plateau",
            "tol": 0.05,
            "n_iter_no_change": 2,
            "random_state": None,
        },
    ),
    ("regression", {"solver": "adagrad", "learning_rate": "invscaling", "loss": "huber"}),
    (
        "regression",
        {
            "solver": "sgd",
            "learning_rate": "adaptive",
            "tol": 0.5,
            "n_iter_no_change": 1,
            "restore_best_weights": True,
        },
    ),
]


@pytest.mark.parametrize("task,extra", CASES)
def test_resume_from_any_epoch_is_bit_identical(blobs, linear, task, extra) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs if task == "classification" else linear
    base = {"hidden_layer_sizes": (12, 6), "random_state": 3, "max_iter": 12, "batch_size": 16}
    params = MLPParams(**{**base, **extra})
    full, saved = _fit_with_checkpoints(X, y, task, params)
    assert sorted(saved) == list(range(1, full.n_iter_ + 1))
    for k in sorted({1, full.n_iter_ // 2, full.n_iter_}):
        resumed = Trainer.resume(X, y, saved[k])
        assert resumed.epoch == k and len(resumed.history) == k
        model = resumed.run()
        assert all(
            np.array_equal(a, b) for a, b in zip(_weights(model), _weights(full), strict=True)
        ), f"resumed from epoch {k}"
        assert [h["loss"] for h in model.history] == [h["loss"] for h in full.history]
        assert model.best_epoch == full.best_epoch


def test_resume_after_cancellation(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(
        hidden_layer_sizes=(10,), random_state=0, max_iter=8, batch_size=10, early_stopping=True
    )
    full = Trainer(X, y, task="classification", params=params).run()
    last: list[bytes] = []
    trainer = Trainer(X, y, task="classification", params=params)
    calls = iter(range(1000))
    with pytest.raises(FitCancelled):
        trainer.run(
            on_epoch=lambda r: last.append(trainer.checkpoint()),
            should_stop=lambda: next(calls) == 25,
            stop_check_every=2,
        )
    resumed = Trainer.resume(X, y, last[-1]).run()
    assert all(np.array_equal(a, b) for a, b in zip(_weights(resumed), _weights(full), strict=True))
    assert [h["epoch"] for h in resumed.history] == list(range(1, 9))


def test_resume_in_float64(linear) -> None:  # type: ignore[no-untyped-def]
    X, y = linear
    params = MLPParams(hidden_layer_sizes=(5,), random_state=0, max_iter=4)
    full, saved = _fit_with_checkpoints(X, y, "regression", params, dtype=np.float64)
    model = Trainer.resume(X, y, saved[2]).run()
    assert model.dtype == np.float64
    assert np.array_equal(model.predict(X), full.predict(X))


def test_resume_refuses_other_data_or_bad_blobs(blobs, linear) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(hidden_layer_sizes=(4,), random_state=0, max_iter=2)
    _, saved = _fit_with_checkpoints(X, y, "classification", params)
    blob = saved[1]
    with pytest.raises(ModelFormatError, match="other data"):
        Trainer.resume(X[:-1], y[:-1], blob)
    with pytest.raises(ModelFormatError, match="other data"):
        Trainer.resume(X + 1.0, y, blob)
    with pytest.raises(ModelFormatError, match="other data"):
        Trainer.resume(X, np.where(y == "ant", "ape", y), blob)
    with pytest.raises(ModelFormatError):
        Trainer.resume(X, y, b"garbage")
    with pytest.raises(ModelFormatError):
        Trainer.resume(X, y, blob[: len(blob) // 2])
    with pytest.raises(ModelFormatError, match="not an mlpforge checkpoint"):
        Trainer.resume(X, y, dump_model(load_model(_model_blob(X, y))))
    arrays, doc = unpack(blob, "checkpoint")
    arrays["params"] = arrays["params"].copy()
    arrays["params"][0] = np.nan
    with pytest.raises(ModelFormatError, match="NaN"):
        Trainer.resume(X, y, pack(arrays, doc))
    del doc["rng"]
    with pytest.raises(ModelFormatError, match="bad state"):
        Trainer.resume(X, y, pack(unpack(blob, "c")[0], doc))


def _model_blob(X: Any, y: Any) -> bytes:
    params = MLPParams(hidden_layer_sizes=(4,), random_state=0, max_iter=1)
    return dump_model(Trainer(X, y, task="classification", params=params).run())


def test_checkpoint_never_pickles(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    trainer = Trainer(X, y, task="classification", params=MLPParams(max_iter=1, random_state=0))
    trainer.run()
    blob = trainer.checkpoint()
    assert b"\x80\x04\x95" not in blob[:64]  # no pickle protocol header
    arrays, doc = unpack(blob, "checkpoint")
    assert doc["format"] == "mlpforge-checkpoint" and doc["epoch"] == 1
    assert {"params", "optimizer.m", "optimizer.v"} <= set(arrays)


@pytest.mark.parametrize(
    "extra",
    [
        {"solver": "adam", "shuffle": True, "dropout": 0.2},
        {"solver": "sgd", "shuffle": False, "early_stopping": True, "n_iter_no_change": 3},
    ],
)
def test_resume_from_inside_an_epoch_is_bit_identical(blobs, extra) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(hidden_layer_sizes=(16,), batch_size=4, max_iter=6, random_state=3, **extra)
    uninterrupted = Trainer(X, y, task="classification", params=params).run()

    trainer = Trainer(X, y, task="classification", params=params)
    inside: list[tuple[int, bytes]] = []
    trainer.run(
        stop_check_every=5,
        on_progress=lambda: inside.append((trainer.epoch, trainer.checkpoint())),
        progress_every_secs=1e-9,  # at every batch boundary it is offered
    )
    assert len(inside) > 6  # several checkpoints inside every epoch
    for finished_epochs, blob in (inside[1], inside[len(inside) // 2], inside[-1]):
        resumed_trainer = Trainer.resume(X, y, blob)
        assert resumed_trainer.epoch == finished_epochs
        resumed = resumed_trainer.run()
        for a, b in zip(_weights(uninterrupted), _weights(resumed), strict=True):
            assert np.array_equal(a, b)
        assert [h["loss"] for h in resumed.history] == [h["loss"] for h in uninterrupted.history]


def test_a_checkpoint_outside_on_epoch_or_on_progress_is_refused(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    trainer = Trainer(X, y, task="classification", params=MLPParams(max_iter=3, batch_size=4))
    with pytest.raises(FitCancelled):
        trainer.run(should_stop=lambda: trainer.epoch >= 1 and trainer._mid_epoch)
    with pytest.raises(EngineError):
        trainer.checkpoint()
