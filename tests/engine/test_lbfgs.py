"""solver="lbfgs": scikit-learn's L-BFGS iterate for iterate, per-iteration hooks, resume rule."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import engine.lbfgs
from engine import FitCancelled, MLPParams, ParamError, Trainer, partial_fit
from tests.engine.sklearn_start import max_difference, sklearn_initial_weights


def _digits(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:n], y[:n]


def _diabetes() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y / 100


def _both(
    task: str, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, **kw: Any
) -> tuple[Trainer, Any]:
    """Our fit and scikit-learn's, from the same initial weights."""
    kw = {"hidden_layer_sizes": (16,), "random_state": 0, "solver": "lbfgs", **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = (MLPClassifier if task == "classification" else MLPRegressor)(**kw)
        ref.fit(X, y, sample_weight=weights)
    trainer = Trainer(
        X, y, task=task, params=MLPParams(**kw, standardize=False), sample_weight=weights
    )  # type: ignore[arg-type]
    sklearn_initial_weights(trainer, 0)
    trainer.run()
    return trainer, ref


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "task,kw",
    [
        ("classification", {"max_iter": 20, "alpha": 0.01}),
        ("regression", {"max_iter": 25, "activation": "tanh"}),
        ("regression", {"max_iter": 25, "loss": "poisson"}),
    ],
    ids=["digits", "diabetes", "diabetes-poisson"],
)
def test_iterates_are_scikit_learns(task: str, kw: dict[str, Any], weighted: bool) -> None:
    X, y = _digits() if task == "classification" else _diabetes()
    weights = np.random.default_rng(0).uniform(0.2, 2.0, X.shape[0]) if weighted else None
    trainer, ref = _both(task, X, y, weights, **kw)
    model = trainer.model()
    assert model.n_iter_ == ref.n_iter_ and model.dtype == np.float64
    assert model.history[-1]["loss"] == pytest.approx(ref.loss_, rel=1e-9)
    assert max_difference(model.coefs_ + model.intercepts_, ref.coefs_ + ref.intercepts_) < 1e-8
    np.testing.assert_allclose(model.predict(X[:50]), ref.predict(X[:50]), rtol=1e-8)


def test_max_fun_and_convergence_as_scikit_learn() -> None:
    X, y = _digits()
    trainer, ref = _both("classification", X, y, max_iter=200, max_fun=7)
    assert trainer.epoch == ref.n_iter_ < 200  # scipy checks maxfun between iterations
    assert 7 <= trainer._evaluations <= 7 + 20
    assert trainer.converged is False  # scikit-learn warns: max_fun reached
    trainer, ref = _both("classification", X[:60], y[:60], max_iter=500, tol=1e-2)
    assert trainer.converged is True and trainer.epoch == ref.n_iter_ < 500


def test_one_report_per_iteration() -> None:
    X, y = _diabetes()
    reports: list[dict[str, Any]] = []
    params = MLPParams(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=12, random_state=0)
    trainer = Trainer(X, y, task="regression", params=params)
    model = trainer.run(on_epoch=reports.append)
    assert (
        [r["epoch"] for r in reports] == list(range(1, 13)) == [h["epoch"] for h in model.history]
    )
    losses = [r["loss"] for r in reports]
    assert losses == sorted(losses, reverse=True)  # L-BFGS's line search only ever descends
    assert all(r["learning_rate"] is None and r["val_score"] is None for r in reports)
    assert all(r["train_rmse"] is not None and r["train_rmse"] > 0 for r in reports)


def test_cancelled_between_iterations_then_resumed() -> None:
    X, y = _digits(200)
    params = MLPParams(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=15, random_state=0)
    saved: list[bytes] = []
    trainer = Trainer(X, y, task="classification", params=params)
    with pytest.raises(FitCancelled) as info:
        trainer.run(
            on_epoch=lambda r: saved.append(trainer.checkpoint()),
            should_stop=lambda: trainer.epoch >= 4,
        )
    assert info.value.epoch == 4 and len(saved) == 4
    resumed = Trainer.resume(X, y, saved[-1])
    assert resumed.epoch == 4 and [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    start = resumed.model()
    model = resumed.run()
    # restarted from the 4th iterate (a new L-BFGS memory): a valid fit, not bit-identical
    assert [h["epoch"] for h in model.history] == list(range(1, model.n_iter_ + 1))
    assert model.n_iter_ == 15 and model.history[-1]["loss"] < start.history[-1]["loss"]
    assert resumed._evaluations <= params.max_fun


def test_cancelled_inside_one_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full-batch evaluation of a large data set may be long: the stop check runs between
    its row chunks too."""
    monkeypatch.setattr(engine.lbfgs, "CHUNK_ELEMENTS", 16 * 10)  # 10-row chunks
    X, y = _digits(200)
    params = MLPParams(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=5, random_state=0)
    trainer = Trainer(X, y, task="classification", params=params)
    assert trainer.net.acts[0].shape[0] == 10
    calls = iter(range(10_000))
    with pytest.raises(FitCancelled) as info:
        trainer.run(should_stop=lambda: next(calls) == 3, stop_check_every=1)
    assert info.value.epoch == 0 and trainer._evaluations == 0


def test_a_time_limit_interrupts_it() -> None:
    """Celery's soft time limit raises inside whatever Python code runs: scipy lets it out."""

    class TimeLimit(Exception):
        pass

    X, y = _digits(200)
    params = MLPParams(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=50, random_state=0)
    deadline = iter(range(10_000))

    def stop() -> bool:
        if next(deadline) == 5:
            raise TimeLimit
        return False

    with pytest.raises(TimeLimit):
        Trainer(X, y, task="classification", params=params).run(should_stop=stop)


def test_chunked_evaluations_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _diabetes()
    params = MLPParams(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=10, random_state=0)
    whole = Trainer(X, y, task="regression", params=params).run()
    monkeypatch.setattr(engine.lbfgs, "CHUNK_ELEMENTS", 8 * 50)  # 50-row chunks
    chunked = Trainer(X, y, task="regression", params=params).run()
    np.testing.assert_allclose(
        [h["loss"] for h in chunked.history], [h["loss"] for h in whole.history], rtol=1e-9
    )


def test_float32_and_what_lbfgs_refuses(blobs) -> None:  # type: ignore[no-untyped-def]
    X, y = blobs
    params = MLPParams(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, dtype="float32")
    model = Trainer(X, y, task="classification", params=params).run()
    assert model.dtype == np.float32 and (model.predict(X) == y).mean() > 0.9
    with pytest.raises(ParamError, match=r"^dropout"):
        Trainer(X, y, task="classification", params=MLPParams(solver="lbfgs", dropout=0.1))
    with pytest.raises(ParamError, match=r"^solver"):
        partial_fit(model, X, y)
