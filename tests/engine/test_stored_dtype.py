"""Training on X in the dtype it is stored in: converted and standardized batch by batch.

A uint8 (or int, or float64) X must train exactly as its float32 conversion did when the
engine standardized a float32 copy of the whole matrix up front, and without such a copy.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

from engine import MLPParams, Trainer

BASE: dict[str, Any] = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}


def _pixels(n: int = 300, d: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(n, d), dtype=np.uint8)
    y = (X[:, :3].sum(axis=1) > 380).astype(np.int64)
    return X, y


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"shuffle": False},
        {"early_stopping": True, "n_iter_no_change": 50},
        {"early_stopping": True, "shuffle": False, "n_iter_no_change": 50},
        {"standardize": False},
        {"solver": "lbfgs", "max_iter": 5},
        {"solver": "sgd", "dtype": "float64"},
    ],
    ids=[
        "adam",
        "no-shuffle",
        "early-stopping",
        "early-stopping-no-shuffle",
        "raw",
        "lbfgs",
        "float64",
    ],
)
@pytest.mark.parametrize("stored", [np.uint8, np.int64, np.float64, np.float16])
def test_stored_dtypes_train_exactly_as_their_float32_conversion(
    params: dict[str, Any], stored: Any
) -> None:
    X, y = _pixels()
    X_stored = X.astype(stored)
    p = MLPParams(**{**BASE, **params})
    converted = X_stored.astype(np.float32) if p.dtype != "float64" else X_stored.astype(np.float64)
    a = Trainer(X_stored, y, task="classification", params=p).run()
    b = Trainer(converted, y, task="classification", params=p).run()
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    for left, right in zip(a.coefs_, b.coefs_, strict=True):
        assert np.array_equal(left, right)


def test_batches_hold_the_values_of_a_standardized_copy() -> None:
    X, y = _pixels()
    trainer = Trainer(X, y, task="classification", params=MLPParams(**BASE))
    rows = trainer.data.X_train
    assert rows.source.dtype == np.uint8  # kept as stored
    copy = X.astype(np.float32)
    copy -= trainer.data.x_mean
    copy /= trainer.data.x_scale
    assert np.array_equal(rows.materialize(), copy)
    idx = np.array([5, 0, 299, 7])
    out = np.empty((8, X.shape[1]), np.float32)
    assert np.array_equal(rows.take(idx, out), copy[idx])
    assert np.array_equal(rows.span(10, 14, out), copy[10:14])


def test_a_uint8_dataset_is_never_copied_to_float32_whole() -> None:
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(60_000, 200), dtype=np.uint8)  # 12 MB; 48 MB as float32
    y = rng.integers(0, 2, size=60_000)
    params = MLPParams(hidden_layer_sizes=(8,), max_iter=1, random_state=0, early_stopping=True)
    tracemalloc.start()
    try:
        Trainer(X, y, task="classification", params=params).run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The validation rows (10 %: 4.8 MB) are standardized as a copy, the statistics take
    # bounded chunks (~12 MB); the training rows are never copied (that would be 43 MB).
    assert peak < 0.5 * 4 * X.size, f"{peak / 1e6:.1f} MB"


def test_a_resumed_fit_on_uint8_data_is_bit_exact() -> None:
    X, y = _pixels()
    params = MLPParams(
        **{**BASE, "max_iter": 4, "batch_size": 32, "early_stopping": True, "n_iter_no_change": 50}
    )
    whole = Trainer(X, y, task="classification", params=params).run()
    saved: list[bytes] = []
    first = Trainer(X, y, task="classification", params=params)
    first.run(on_epoch=lambda r: saved.append(first.checkpoint()) if r["epoch"] == 2 else None)
    resumed = Trainer.resume(X, y, saved[0]).run()
    assert np.array_equal(whole.predict_proba(X), resumed.predict_proba(X))
    # ... and from inside an epoch, where a checkpoint records the batch order and position.
    inside: list[bytes] = []
    mid = Trainer(X, y, task="classification", params=params)
    mid.run(
        on_progress=lambda: inside.append(mid.checkpoint()),
        progress_every_secs=1e-9,
        stop_check_every=2,
    )
    assert inside
    resumed = Trainer.resume(X, y, inside[len(inside) // 2]).run()
    assert np.array_equal(whole.predict_proba(X), resumed.predict_proba(X))
