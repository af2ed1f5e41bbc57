"""Optimizer updates against scikit-learn's and against independent textbook formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from engine.optimizers import make_optimizer
from engine.params import MLPParams
from engine.schedules import LearningRateSchedule

SIZE, N_WEIGHTS, STEPS = 50, 40, 7


def _run(params: MLPParams, lr: float = 0.05) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=SIZE)
    grads = [rng.normal(size=SIZE) for _ in range(STEPS)]
    opt = make_optimizer(params, np, SIZE, np.float64, N_WEIGHTS)
    p = p0.copy()
    for g in grads:
        opt.step(p, g, lr)
    return p, [p0, *grads]


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_matches_scikit_learn(nesterov: bool) -> None:
    mine, (p0, *grads) = _run(MLPParams(solver="sgd", momentum=0.8, nesterovs_momentum=nesterov))
    ref = [p0.copy()]
    sk = SGDOptimizer(ref, learning_rate_init=0.05, momentum=0.8, nesterov=nesterov)
    for g in grads:
        sk.update_params(ref, [g])
    np.testing.assert_allclose(mine, ref[0], rtol=1e-12, atol=1e-12)


def test_adam_matches_scikit_learn() -> None:
    mine, (p0, *grads) = _run(MLPParams(solver="adam", beta_1=0.8, beta_2=0.99, epsilon=1e-6))
    ref = [p0.copy()]
    sk = AdamOptimizer(ref, learning_rate_init=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    for g in grads:
        sk.update_params(ref, [g])
    np.testing.assert_allclose(mine, ref[0], rtol=1e-12, atol=1e-12)


def test_adamw_decays_weights_only_then_adam() -> None:
    mine, (p0, *grads) = _run(MLPParams(solver="adamw", weight_decay=0.1))
    p, m, v = p0.copy(), np.zeros(SIZE), np.zeros(SIZE)
    for t, g in enumerate(grads, start=1):
        p[:N_WEIGHTS] *= 1 - 0.05 * 0.1
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        lr_t = 0.05 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        p -= lr_t * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(mine, p, rtol=1e-12, atol=1e-12)


def test_rmsprop_formula() -> None:
    mine, (p0, *grads) = _run(MLPParams(solver="rmsprop", rho=0.7, epsilon=1e-5))
    p, v = p0.copy(), np.zeros(SIZE)
    for g in grads:
        v = 0.7 * v + 0.3 * g * g
        p -= 0.05 * g / (np.sqrt(v) + 1e-5)
    np.testing.assert_allclose(mine, p, rtol=1e-12, atol=1e-12)


def test_adagrad_formula() -> None:
    mine, (p0, *grads) = _run(MLPParams(solver="adagrad"))
    p, s = p0.copy(), np.zeros(SIZE)
    for g in grads:
        s += g * g
        p -= 0.05 * g / (np.sqrt(s) + 1e-8)
    np.testing.assert_allclose(mine, p, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_optimizer_state_round_trips(solver: str) -> None:
    params = MLPParams(solver=solver)
    rng = np.random.default_rng(1)
    a = make_optimizer(params, np, SIZE, np.float64, N_WEIGHTS)
    p = rng.normal(size=SIZE)
    for _ in range(3):
        a.step(p, rng.normal(size=SIZE), 0.01)
    arrays, scalars = a.state()
    b = make_optimizer(params, np, SIZE, np.float64, N_WEIGHTS)
    b.load_state({k: v.copy() for k, v in arrays.items()}, dict(scalars))
    g = rng.normal(size=SIZE)
    pa, pb = p.copy(), p.copy()
    a.step(pa, g, 0.01)
    b.step(pb, g, 0.01)
    assert np.array_equal(pa, pb)


def test_invscaling_matches_scikit_learn() -> None:
    schedule = LearningRateSchedule(
        MLPParams(learning_rate="invscaling", power_t=0.4, learning_rate_init=0.1)
    )
    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=0.1, lr_schedule="invscaling", power_t=0.4)
    for epoch, seen in enumerate((100, 200, 300), start=1):
        schedule.epoch_end(epoch, seen, improved=True)
        sk.iteration_ends(seen)
        assert schedule.lr == pytest.approx(sk.learning_rate, rel=1e-15)


def test_adaptive_divides_by_five_until_tiny() -> None:
    schedule = LearningRateSchedule(MLPParams(learning_rate="adaptive", learning_rate_init=1e-4))
    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=1e-4, lr_schedule="adaptive")
    for _ in range(8):
        assert schedule.should_stop() == sk.trigger_stopping("", False)
        assert schedule.lr == pytest.approx(sk.learning_rate)
    assert schedule.should_stop()


def test_constant_schedule_stops_at_once() -> None:
    schedule = LearningRateSchedule(MLPParams())
    assert schedule.should_stop()
    assert schedule.lr == 0.001


def test_cosine_goes_to_zero_at_max_iter() -> None:
    schedule = LearningRateSchedule(
        MLPParams(learning_rate="cosine", max_iter=4, learning_rate_init=0.2)
    )
    rates = []
    for epoch in range(1, 5):
        schedule.epoch_end(epoch, epoch * 10, improved=True)
        rates.append(schedule.lr)
    assert rates[0] == pytest.approx(0.2 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert rates == sorted(rates, reverse=True)
    assert rates[-1] == pytest.approx(0.0, abs=1e-15)


def test_plateau_reduces_after_patience() -> None:
    schedule = LearningRateSchedule(
        MLPParams(learning_rate="plateau", n_iter_no_change=4, learning_rate_init=1.0)
    )
    schedule.epoch_end(1, 1, improved=False)
    assert schedule.lr == 1.0
    schedule.epoch_end(2, 2, improved=False)
    assert schedule.lr == pytest.approx(0.1)
    schedule.epoch_end(3, 3, improved=True)
    schedule.epoch_end(4, 4, improved=False)
    assert schedule.lr == pytest.approx(0.1)
    state = schedule.state()
    other = LearningRateSchedule(MLPParams(learning_rate="plateau", n_iter_no_change=4))
    other.load_state(state)
    assert other.state() == state
