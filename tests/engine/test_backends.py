"""The engine on device array modules: the CPU stand-in in every run, CuPy where a GPU is.

On the stand-in (numpy arithmetic behind CuPy's rules, tests/engine/strict_xp.py) every fit
must give numpy's weights bit for bit, and read the device a fixed number of times per epoch
whatever the number of batches: no host round trip per batch. On CuPy the same fits agree with
numpy's within float32 tolerance. Checkpoints and models move between backends through host
arrays.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

from engine import FittedModel, MLPParams, Trainer, partial_fit
from engine.network import predict_output
from engine.xp import to_float, to_host
from tests.engine.strict_xp import MODULE as STRICT
from tests.engine.strict_xp import ImplicitHostConversion

BASE = {"hidden_layer_sizes": (12, 6), "random_state": 3, "max_iter": 4, "batch_size": 16}


def _data(kind: str) -> tuple[str, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 5))
    signal = X @ rng.normal(size=(5, 3))
    if kind == "multiclass":
        return "classification", X, np.array(["a", "b", "c"])[signal.argmax(1)]
    if kind == "multilabel":
        return "classification", X, (signal > 0).astype(int)
    if kind == "counts":
        return "regression", X, rng.poisson(np.exp(0.5 * signal[:, 0]))
    if kind == "two_targets":
        return "regression", X, signal[:, :2] * 10 + 100
    return "regression", X, signal[:, 0] * 10 + 100


CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("multiclass", {"solver": "adam"}, False),
    (
        "multiclass",
        {
            "solver": "sgd",
            "dropout": 0.2,
            "clip_grad_norm": 1.0,
            "alpha": 0.1,
            "l1": 0.01,
            "early_stopping": True,
            "learning_rate_init": 0.05,
        },
        True,
    ),
    ("multiclass", {"solver": "rmsprop", "learning_rate": "plateau", "shuffle": False}, False),
    ("multilabel", {"solver": "adamw", "learning_rate": "cosine"}, True),
    ("one_target", {"solver": "adagrad", "learning_rate": "invscaling", "loss": "huber"}, False),
    ("counts", {"solver": "sgd", "loss": "poisson", "learning_rate_init": 0.01}, False),
    ("two_targets", {"solver": "adam", "loss": "absolute_error", "early_stopping": True}, True),
    ("multiclass", {"solver": "lbfgs", "max_iter": 6}, True),
    ("one_target", {"solver": "lbfgs", "max_iter": 6, "alpha": 0.01}, False),
]
IDS = [f"{kind}-{extra['solver']}" for kind, extra, _ in CASES]


def _fit(
    kind: str, extra: dict[str, Any], weighted: bool, xp: ModuleType | None, **kw: Any
) -> tuple[Trainer, FittedModel]:
    task, X, y = _data(kind)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0]) if weighted else None
    params = MLPParams(**{**BASE, **extra})
    trainer = Trainer(X, y, task=task, params=params, xp=xp, sample_weight=weights)  # type: ignore[arg-type]
    return trainer, trainer.run(**kw)


def _same(a: FittedModel, b: FittedModel, exact: bool) -> None:
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        if exact:
            assert np.array_equal(u, v)
        else:
            np.testing.assert_allclose(u, v, rtol=1e-3, atol=1e-4)
    losses = [[h["loss"] for h in m.history] for m in (a, b)]
    if exact:
        assert losses[0] == losses[1]
    else:
        np.testing.assert_allclose(losses[0], losses[1], rtol=1e-3)


@pytest.mark.parametrize(
    "read",
    [
        lambda a: float(a[0]),
        lambda a: bool(a.all()),
        lambda a: int(a.sum()),
        lambda a: np.asarray(a),
        lambda a: np.float64(a[0]),
        lambda a: a.item(),
        lambda a: a.tolist(),
        lambda a: list(a),
        lambda a: 1 if a[0] > 0 else 0,
    ],
)
def test_the_stand_in_refuses_every_implicit_read(read: Any) -> None:
    """What would sync a GPU without saying so fails on the stand-in; only ``get()`` reads."""
    a = STRICT.ones(3)
    with pytest.raises(ImplicitHostConversion):
        read(a)
    before = STRICT.reads
    assert to_float(a.sum()) == 3.0 and STRICT.reads == before + 1


@pytest.mark.parametrize("kind,extra,weighted", CASES, ids=IDS)
def test_a_device_fit_is_the_numpy_fit(device_xp, kind, extra, weighted) -> None:  # type: ignore[no-untyped-def]
    _, on_numpy = _fit(kind, extra, weighted, None)
    _, on_device = _fit(kind, extra, weighted, device_xp)
    _same(on_numpy, on_device, exact=device_xp is STRICT)
    assert all(isinstance(w, np.ndarray) for w in on_device.coefs_)  # the model lives on the host


@pytest.mark.parametrize("kind,extra,weighted", CASES[:7], ids=IDS[:7])
def test_device_reads_per_epoch_do_not_grow_with_the_batches(kind, extra, weighted) -> None:  # type: ignore[no-untyped-def]
    """No host round trip per batch: an epoch of 48 batches reads the device as often as one
    of 3 batches (its loss sum and finiteness in one read, plus the validation scores)."""
    per_epoch = {}
    for batch in (32, 2):
        reads: list[int] = []
        STRICT.reads = 0
        _fit(
            kind,
            {**extra, "batch_size": batch, "max_iter": 3},
            weighted,
            STRICT,
            on_epoch=lambda _report, reads=reads: reads.append(STRICT.reads),
        )
        per_epoch[batch] = np.diff([0, *reads]).tolist()
    assert per_epoch[32] == per_epoch[2]
    assert max(per_epoch[2]) <= 4


def test_checkpoints_move_between_backends(device_xp, blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(**{**BASE, "max_iter": 6, "dropout": 0.1})
    full = Trainer(X, y, task="classification", params=params).run()
    saved: list[bytes] = []
    on_device = Trainer(X, y, task="classification", params=params, xp=device_xp)
    on_device.run(on_epoch=lambda _r: saved.append(on_device.checkpoint()))
    exact = device_xp is STRICT
    _same(Trainer.resume(X, y, saved[2]).run(), full, exact)  # device -> host
    host_saved: list[bytes] = []
    on_host = Trainer(X, y, task="classification", params=params)
    on_host.run(on_epoch=lambda _r: host_saved.append(on_host.checkpoint()))
    _same(Trainer.resume(X, y, host_saved[2], xp=device_xp).run(), full, exact)  # host -> device


def test_a_device_model_predicts_on_the_host_as_on_the_device(device_xp, blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    trainer = Trainer(X, y, task="classification", params=MLPParams(**BASE), xp=device_xp)
    model = trainer.run()
    layers = trainer.net.layers()
    on_device = predict_output(
        device_xp, layers, model.activation, "softmax", trainer.data.X_train.materialize()
    )
    exact = device_xp is STRICT
    host = model.predict_proba(X)
    if exact:
        assert np.array_equal(host, to_host(on_device))
    else:
        np.testing.assert_allclose(host, to_host(on_device), rtol=1e-4, atol=1e-6)


def test_continuing_on_a_device(device_xp, blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(**{**BASE, "max_iter": 1})
    first = Trainer(X, y, task="classification", params=params).run()
    on_host = partial_fit(first, X, y)
    on_device = partial_fit(first, X, y, xp=device_xp)
    _same(on_host, on_device, exact=device_xp is STRICT)
