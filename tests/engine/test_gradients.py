"""Finite-difference checks (float64) of every activation x output/loss pairing, +/- L2 and L1."""

from __future__ import annotations

import numpy as np
import pytest

from engine.activations import ACTIVATIONS
from engine.architecture import ParameterLayout, layer_shapes
from engine.losses import HUBER_DELTA, make_head
from engine.network import Network, predict_output

HEADS = [
    ("log_loss", "softmax", 3),
    ("log_loss", "logistic", 1),
    ("squared_error", "identity", 1),
    ("squared_error", "identity", 2),
    ("absolute_error", "identity", 2),
    ("huber", "identity", 2),
    ("poisson", "exp", 1),
    ("poisson", "exp", 2),
    ("log_loss", "logistic", 3),  # multilabel: one logistic unit per label
]
PENALTIES = [(0.0, 0.0), (0.3, 0.0), (0.0, 0.2), (0.3, 0.2)]
KINKED = {"relu", "leaky_relu", "elu"}


def _targets(rng: np.random.Generator, output: str, k: int, n: int) -> np.ndarray:
    if output == "softmax":
        return np.eye(k)[rng.integers(0, k, n)]
    if output == "logistic":
        return rng.integers(0, 2, (n, k)).astype(np.float64)
    if output == "exp":
        return rng.poisson(2.0, (n, k)).astype(np.float64)  # counts, zeros included
    return rng.normal(0.0, 2.0, (n, k))


def _network(
    activation: str,
    loss: str,
    output: str,
    k: int,
    alpha: float,
    l1: float,
    dropout: float = 0.0,
    seed: int = 0,
) -> tuple[Network, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, d, hidden = 7, 4, (5, 3)
    layout = ParameterLayout(tuple(layer_shapes(d, hidden, k)))
    net = Network(
        np,
        layout,
        activation,
        make_head(loss, output),
        np.float64,
        n,
        alpha=alpha,
        l1=l1,
        dropout=dropout,
    )
    # weights well away from 0 (L1's kink) and inputs that keep pre-activations off 0
    w = rng.uniform(0.2, 0.9, layout.size) * rng.choice([-1.0, 1.0], layout.size)
    net.params[...] = w
    x = rng.normal(0.0, 1.0, (n, d))
    return net, x, _targets(rng, output, k, n)


def _kink_margin(net: Network, x: np.ndarray) -> float:
    """Smallest |pre-activation| of the hidden layers."""
    a, margin = x, np.inf
    for w, b in net.layers()[:-1]:
        z = a @ w + b
        margin = min(margin, float(np.abs(z).min()))
        a = z.copy()
        ACTIVATIONS[net.activation](np, a, np.empty_like(a))
    return margin


def _residual_margin(net: Network, x: np.ndarray, y: np.ndarray) -> float:
    """Distance of the residuals from the kinks of |r| (0) and of huber (+-1)."""
    if net.head.output_activation != "identity":
        return np.inf  # smooth everywhere
    r = np.abs(predict_output(np, net.layers(), net.activation, "identity", x) - y)
    return float(min(r.min(), np.abs(r - HUBER_DELTA).min()))


def _loss(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    dropout_seed: int | None,
    w: np.ndarray | None = None,
) -> float:
    rng = None if dropout_seed is None else np.random.default_rng(dropout_seed)
    return float(net.train_batch(x, y, rng, w))


def _check(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    dropout_seed: int | None = None,
    w: np.ndarray | None = None,
) -> float:
    _loss(net, x, y, dropout_seed, w)
    analytic = net.grads.copy()
    numeric = np.zeros_like(analytic)
    h = 1e-6
    for i in range(net.params.size):
        keep = net.params[i]
        net.params[i] = keep + h
        up = _loss(net, x, y, dropout_seed, w)
        net.params[i] = keep - h
        down = _loss(net, x, y, dropout_seed, w)
        net.params[i] = keep
        numeric[i] = (up - down) / (2 * h)
    return float(np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric))


@pytest.mark.parametrize("alpha,l1", PENALTIES)
@pytest.mark.parametrize("loss,output,k", HEADS)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradient_matches_finite_differences(
    activation: str, loss: str, output: str, k: int, alpha: float, l1: float
) -> None:
    for seed in range(20):
        net, x, y = _network(activation, loss, output, k, alpha, l1, seed=seed)
        if (activation not in KINKED or _kink_margin(net, x) > 1e-3) and (
            _residual_margin(net, x, y) > 1e-3
        ):
            break
    else:
        pytest.fail("no draw keeps the pre-activations and residuals away from the kinks")
    assert _check(net, x, y) < 1e-6


@pytest.mark.parametrize("alpha,l1", [(0.0, 0.0), (0.3, 0.2)])
@pytest.mark.parametrize("loss,output,k", HEADS)
def test_weighted_gradient_matches_finite_differences(
    loss: str, output: str, k: int, alpha: float, l1: float
) -> None:
    """Sample weights as scikit-learn's: sum(w loss) / sum(w), penalties / sum(w)."""
    for seed in range(20):
        net, x, y = _network("tanh", loss, output, k, alpha, l1, seed=seed)
        if _residual_margin(net, x, y) > 1e-3:
            break
    w = np.random.default_rng(5).uniform(0.0, 3.0, (x.shape[0], 1))
    assert _check(net, x, y, w=w) < 1e-6


def test_weights_of_one_are_no_weights() -> None:
    net, x, y = _network("relu", "log_loss", "softmax", 3, 0.1, 0.0)
    plain = float(net.train_batch(x, y))
    grads = net.grads.copy()
    assert float(net.train_batch(x, y, None, np.ones((x.shape[0], 1)))) == pytest.approx(plain)
    np.testing.assert_allclose(net.grads, grads, rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_gradient_with_dropout_matches_finite_differences(activation: str) -> None:
    net, x, y = _network(activation, "log_loss", "softmax", 3, 0.1, 0.0, dropout=0.3, seed=3)
    assert _check(net, x, y, dropout_seed=7) < 1e-6


def test_dropout_zeroes_and_rescales_hidden_units() -> None:
    net, x, y = _network("identity", "squared_error", "identity", 1, 0.0, 0.0, dropout=0.5)
    net.train_batch(x, y, np.random.default_rng(0))
    mask = net.masks[0]
    assert mask is not None
    assert set(np.unique(mask)) <= {0.0, 2.0}
    assert 0 < (mask == 0).sum() < mask.size


def test_first_layer_input_gradient_is_not_computed() -> None:
    net, _x, _y = _network("tanh", "squared_error", "identity", 1, 0.0, 0.0)
    # one delta buffer per layer; none for the input
    assert len(net.deltas) == len(net.layout.shapes)
    assert net.deltas[0].shape[1] == net.layout.shapes[0][1]
