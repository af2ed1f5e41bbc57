"""scikit-learn's convergence: max_iter reached is not converged; the stopping rule is. And the
training RMSE each epoch reports, in the target's units."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import root_mean_squared_error

from engine import MLPParams, Trainer


def _data(n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([40.0, -20.0, 5.0]) + 500


def test_reaching_max_iter_is_not_converging() -> None:
    X, y = _data()
    trainer = Trainer(X, y, task="regression", params=MLPParams(max_iter=3, random_state=0))
    trainer.run()
    assert trainer.epoch == 3 and trainer.converged is False


def test_stopping_early_is_converging_and_survives_a_checkpoint() -> None:
    X, y = _data()
    params = MLPParams(max_iter=500, n_iter_no_change=2, tol=10.0, random_state=0)
    trainer = Trainer(X, y, task="regression", params=params)
    trainer.run()
    assert trainer.epoch < 500 and trainer.converged is True
    resumed = Trainer.resume(X, y, trainer.checkpoint())
    assert resumed.converged is True


@pytest.mark.parametrize("standardize", [True, False])
def test_train_rmse_is_the_epochs_rmse_in_target_units(standardize: bool) -> None:
    """One batch per epoch, no shuffling: epoch k's figure is the RMSE of the weights the
    epoch started from."""
    X, y = _data()
    params = MLPParams(
        max_iter=2, batch_size=80, shuffle=False, random_state=0, standardize=standardize
    )
    trainer = Trainer(X, y, task="regression", params=params)
    before = trainer.model().predict(X)
    trainer.run()
    expected = root_mean_squared_error(y, before)
    assert trainer.history[0]["train_rmse"] == pytest.approx(expected, rel=1e-5)
    assert all(report["train_rmse"] is not None for report in trainer.history)


def test_classification_reports_no_train_rmse() -> None:
    X, y = _data()
    trainer = Trainer(X, y > 500, task="classification", params=MLPParams(max_iter=2))
    trainer.run()
    assert [report["train_rmse"] for report in trainer.history] == [None, None]


def test_train_rmse_resumes_bit_identically_from_inside_an_epoch() -> None:
    X, y = _data()
    params = MLPParams(hidden_layer_sizes=(8,), batch_size=4, max_iter=3, random_state=1)
    uninterrupted = Trainer(X, y, task="regression", params=params).run()
    trainer = Trainer(X, y, task="regression", params=params)
    inside: list[bytes] = []
    trainer.run(
        stop_check_every=3,
        on_progress=lambda: inside.append(trainer.checkpoint()),
        progress_every_secs=1e-9,
    )
    resumed = Trainer.resume(X, y, inside[len(inside) // 2]).run()
    assert [h["train_rmse"] for h in resumed.history] == [
        h["train_rmse"] for h in uninterrupted.history
    ]
