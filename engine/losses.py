"""Output layer + loss pairs ("heads").

Each head takes the output pre-activation ``z`` [n, k] and targets ``y`` [n, k], returns the mean
loss over the n samples (summed over the k outputs), turns ``z`` into the output activation in
place, and writes dL/dz into ``delta``. The pairings are canonical, so the gradient of the data
loss with respect to ``z`` is ``(output - y) / n`` for log_loss and squared_error.

* softmax + log_loss (multiclass): log-sum-exp, never log(0).
* logistic + log_loss (binary, one unit): log(1 + e^z) - y z via logaddexp.
  Both cap each sample's loss at -log(eps) (float64 eps, about 36.04), which is what
  scikit-learn's clipping of probabilities to [eps, 1 - eps] amounts to; the gradient is the
  unclipped (p - y) / n, as in scikit-learn.
* identity + squared_error: 0.5 * sum_k (z - y)^2 (scikit-learn's loss for one target).
* identity + absolute_error: sum_k |z - y|.
* identity + huber: 0.5 r^2 for |r| <= 1, |r| - 0.5 beyond (delta 1 on the standardized scale).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Protocol

import numpy as np

from engine.activations import ACTIVATIONS
from engine.xp import Array

HUBER_DELTA = 1.0
MAX_SAMPLE_LOG_LOSS = -math.log(float(np.finfo(np.float64).eps))


class Head(Protocol):
    output_activation: str

    def loss_and_delta(self, xp: ModuleType, z: Array, y: Array, delta: Array | None) -> float: ...

    def activate(self, xp: ModuleType, z: Array) -> None: ...


class SoftmaxLogLoss:
    output_activation = "softmax"

    def loss_and_delta(self, xp: ModuleType, z: Array, y: Array, delta: Array | None) -> float:
        n = z.shape[0]
        z -= z.max(axis=1, keepdims=True)
        picked = (y * z).sum(axis=1, keepdims=True)  # z[y] (shifted); y is one-hot
        xp.exp(z, out=z)
        sums = z.sum(axis=1, keepdims=True)
        per_sample = xp.log(sums) - picked
        loss = float(xp.minimum(per_sample, MAX_SAMPLE_LOG_LOSS).sum()) / n
        z /= sums
        if delta is not None:
            xp.subtract(z, y, out=delta)
            delta *= 1.0 / n
        return loss

    def activate(self, xp: ModuleType, z: Array) -> None:
        softmax(xp, z)


class LogisticLogLoss:
    output_activation = "logistic"

    def loss_and_delta(self, xp: ModuleType, z: Array, y: Array, delta: Array | None) -> float:
        n = z.shape[0]
        per_sample = xp.logaddexp(0.0, z) - y * z
        loss = float(xp.minimum(per_sample, MAX_SAMPLE_LOG_LOSS).sum()) / n
        ACTIVATIONS["logistic"](xp, z, z)
        if delta is not None:
            xp.subtract(z, y, out=delta)
            delta *= 1.0 / n
        return loss

    def activate(self, xp: ModuleType, z: Array) -> None:
        ACTIVATIONS["logistic"](xp, z, z)


class _IdentityHead:
    output_activation = "identity"

    def activate(self, xp: ModuleType, z: Array) -> None:
        pass


class SquaredError(_IdentityHead):
    def loss_and_delta(self, xp: ModuleType, z: Array, y: Array, delta: Array | None) -> float:
        n = z.shape[0]
        r = xp.subtract(z, y, out=delta) if delta is not None else z - y
        loss = 0.5 * float(xp.vdot(r, r)) / n
        r *= 1.0 / n
        return loss


class AbsoluteError(_IdentityHead):
    def loss_and_delta(self, xp: ModuleType, z: Array, y: Array, delta: Array | None) -> float:
        n = z.shape[0]
        r = xp.subtract(z, y, out=delta) if delta is not None else z - y
        loss = float(xp.abs(r).sum()) / n
        xp.sign(r, out=r)
        r *= 1.0 / n
        return loss


class Huber(_IdentityHead):
    def loss_and_delta(self, xp: ModuleType, z: Array, y: Array, delta: Array | None) -> float:
        n = z.shape[0]
        r = xp.subtract(z, y, out=delta) if delta is not None else z - y
        a = xp.abs(r)
        quadratic = xp.minimum(a, HUBER_DELTA)
        # 0.5 q^2 + delta (|r| - q): quadratic inside, linear outside, continuous
        loss = float((0.5 * quadratic * quadratic + HUBER_DELTA * (a - quadratic)).sum()) / n
        xp.clip(r, -HUBER_DELTA, HUBER_DELTA, out=r)
        r *= 1.0 / n
        return loss


def softmax(xp: ModuleType, z: Array) -> None:
    z -= z.max(axis=1, keepdims=True)
    xp.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)


def make_head(loss: str, output_activation: str) -> Head:
    if loss == "log_loss":
        return SoftmaxLogLoss() if output_activation == "softmax" else LogisticLogLoss()
    if output_activation != "identity":
        raise ValueError(f"loss: {loss!r} needs an identity output, got {output_activation!r}")
    heads: dict[str, Head] = {
        "squared_error": SquaredError(),
        "absolute_error": AbsoluteError(),
        "huber": Huber(),
    }
    if loss not in heads:
        raise ValueError(f"loss: unknown loss {loss!r}")
    return heads[loss]


def output_activate(xp: ModuleType, name: str, z: Array) -> None:
    """Apply the output non-linearity in place (prediction path)."""
    if name == "softmax":
        softmax(xp, z)
    elif name == "logistic":
        ACTIVATIONS["logistic"](xp, z, z)
    elif name != "identity":
        raise ValueError(f"unknown output activation {name!r}")
