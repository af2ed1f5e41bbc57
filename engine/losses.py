"""Output layer + loss pairs ("heads").

Each head takes the output pre-activation ``z`` [n, k], targets ``y`` [n, k], optional sample
weights ``w`` [n, 1] and a normalizer ``norm`` (the batch's row count, or the sum of its
weights); it returns ``sum_i w_i loss_i / norm`` — scikit-learn's weighted mean — as a 0-d
float64 array *on the device* (reading it would sync a GPU: the trainer reads one sum per
epoch), turns ``z`` into the output activation in place, and writes dL/dz into ``delta``. The
pairings are canonical, so dL/dz is ``w (output - y) / norm`` for log_loss, squared_error and
poisson.

* softmax + log_loss (multiclass): log-sum-exp, never log(0).
* logistic + log_loss (binary, one unit; multilabel, one unit per label): log(1 + e^z) - y z
  via logaddexp, summed over the labels. Both cap each term at -log(eps) (float64 eps, about
  36.04), which is what scikit-learn's clipping of probabilities to [eps, 1 - eps] amounts to;
  the gradient is the unclipped (p - y), as in scikit-learn.
* identity + squared_error: 0.5 * sum_k (z - y)^2 (scikit-learn's loss for one target; for
  several it averages over the targets while its gradient is the sum's — we keep the sum).
* identity + absolute_error: sum_k |z - y|.
* identity + huber: 0.5 r^2 for |r| <= 1, |r| - 0.5 beyond (delta 1 on the standardized scale).
* exp + poisson: half the Poisson deviance with a log link, y log(y / e^z) - y + e^z, as
  scikit-learn 1.9's MLPRegressor(loss="poisson"); computed from z, so e^z never divides.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Protocol

import numpy as np

from engine.activations import ACTIVATIONS
from engine.xp import Array, scalar_like

HUBER_DELTA = 1.0
MAX_SAMPLE_LOG_LOSS = -math.log(float(np.finfo(np.float64).eps))

Norm = float | Array  # a row count, or the device sum of the weights


class Head(Protocol):
    output_activation: str

    def loss_and_delta(
        self,
        xp: ModuleType,
        z: Array,
        y: Array,
        delta: Array | None,
        w: Array | None = None,
        norm: Norm | None = None,
    ) -> Array: ...


def _norm(z: Array, norm: Norm | None) -> Norm:
    return z.shape[0] if norm is None else norm


def _mean(xp: ModuleType, terms: Array, w: Array | None, norm: Norm) -> Array:
    """sum(w * terms) / norm, summed in float64, as a device 0-d array."""
    if w is not None:
        terms = terms * w
    return terms.sum(dtype=np.float64) / norm


def _finish_delta(xp: ModuleType, delta: Array, w: Array | None, norm: Norm) -> None:
    if w is not None:
        delta *= w
    delta *= scalar_like(xp, 1.0 / norm, delta.dtype)


class SoftmaxLogLoss:
    output_activation = "softmax"

    def loss_and_delta(
        self,
        xp: ModuleType,
        z: Array,
        y: Array,
        delta: Array | None,
        w: Array | None = None,
        norm: Norm | None = None,
    ) -> Array:
        norm = _norm(z, norm)
        z -= z.max(axis=1, keepdims=True)
        picked = (y * z).sum(axis=1, keepdims=True)  # z[y] (shifted); y is one-hot
        xp.exp(z, out=z)
        sums = z.sum(axis=1, keepdims=True)
        per_sample = xp.log(sums) - picked
        loss = _mean(xp, xp.minimum(per_sample, MAX_SAMPLE_LOG_LOSS), w, norm)
        z /= sums
        if delta is not None:
            xp.subtract(z, y, out=delta)
            _finish_delta(xp, delta, w, norm)
        return loss


class LogisticLogLoss:
    output_activation = "logistic"

    def loss_and_delta(
        self,
        xp: ModuleType,
        z: Array,
        y: Array,
        delta: Array | None,
        w: Array | None = None,
        norm: Norm | None = None,
    ) -> Array:
        norm = _norm(z, norm)
        per_label = xp.logaddexp(0.0, z) - y * z
        loss = _mean(xp, xp.minimum(per_label, MAX_SAMPLE_LOG_LOSS), w, norm)
        ACTIVATIONS["logistic"](xp, z, z)
        if delta is not None:
            xp.subtract(z, y, out=delta)
            _finish_delta(xp, delta, w, norm)
        return loss


def _residual(xp: ModuleType, z: Array, y: Array, delta: Array | None) -> Array:
    return xp.subtract(z, y, out=delta) if delta is not None else z - y


class SquaredError:
    output_activation = "identity"

    def loss_and_delta(
        self,
        xp: ModuleType,
        z: Array,
        y: Array,
        delta: Array | None,
        w: Array | None = None,
        norm: Norm | None = None,
    ) -> Array:
        norm = _norm(z, norm)
        r = _residual(xp, z, y, delta)
        if w is None:
            loss = 0.5 * xp.vdot(r, r).astype(np.float64) / norm
        else:
            loss = 0.5 * _mean(xp, r * r, w, norm)
        _finish_delta(xp, r, w, norm)
        return loss


class AbsoluteError:
    output_activation = "identity"

    def loss_and_delta(
        self,
        xp: ModuleType,
        z: Array,
        y: Array,
        delta: Array | None,
        w: Array | None = None,
        norm: Norm | None = None,
    ) -> Array:
        norm = _norm(z, norm)
        r = _residual(xp, z, y, delta)
        loss = _mean(xp, xp.abs(r), w, norm)
        xp.sign(r, out=r)
        _finish_delta(xp, r, w, norm)
        return loss


class Huber:
    output_activation = "identity"

    def loss_and_delta(
        self,
        xp: ModuleType,
        z: Array,
        y: Array,
        delta: Array | None,
        w: Array | None = None,
        norm: Norm | None = None,
    ) -> Array:
        norm = _norm(z, norm)
        r = _residual(xp, z, y, delta)
        a = xp.abs(r)
        quadratic = xp.minimum(a, HUBER_DELTA)
        # 0.5 q^2 + delta (|r| - q): quadratic inside, linear outside, continuous
        loss = _mean(xp, 0.5 * quadratic * quadratic + HUBER_DELTA * (a - quadratic), w, norm)
        xp.clip(r, -HUBER_DELTA, HUBER_DELTA, out=r)
        _finish_delta(xp, r, w, norm)
        return loss


class PoissonDeviance:
    output_activation = "exp"

    def loss_and_delta(
        self,
        xp: ModuleType,
        z: Array,
        y: Array,
        delta: Array | None,
        w: Array | None = None,
        norm: Norm | None = None,
    ) -> Array:
        norm = _norm(z, norm)
        # y log(y / e^z) - y + e^z = y log y - y z - y + e^z, with 0 log 0 = 0
        terms = y * xp.log(xp.where(y > 0, y, 1))
        terms -= y * z
        terms -= y
        xp.exp(z, out=z)
        terms += z
        loss = _mean(xp, terms, w, norm)
        if delta is not None:
            xp.subtract(z, y, out=delta)
            _finish_delta(xp, delta, w, norm)
        return loss


def softmax(xp: ModuleType, z: Array) -> None:
    z -= z.max(axis=1, keepdims=True)
    xp.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)


_REGRESSION_HEADS: dict[str, type[Head]] = {
    "squared_error": SquaredError,
    "absolute_error": AbsoluteError,
    "huber": Huber,
    "poisson": PoissonDeviance,
}


def output_activation_for_loss(loss: str, n_outputs: int, multilabel: bool = False) -> str:
    """softmax (multiclass), logistic (binary, multilabel), exp (poisson) or identity."""
    if loss == "log_loss":
        return "logistic" if n_outputs == 1 or multilabel else "softmax"
    return "exp" if loss == "poisson" else "identity"


def make_head(loss: str, output_activation: str) -> Head:
    if loss == "log_loss":
        return SoftmaxLogLoss() if output_activation == "softmax" else LogisticLogLoss()
    if loss not in _REGRESSION_HEADS:
        raise ValueError(f"loss: unknown loss {loss!r}")
    head = _REGRESSION_HEADS[loss]()
    if head.output_activation != output_activation:
        raise ValueError(
            f"loss: {loss!r} needs a(n) {head.output_activation} output, got {output_activation!r}"
        )
    return head


def output_activate(xp: ModuleType, name: str, z: Array) -> None:
    """Apply the output non-linearity in place (prediction path)."""
    if name == "softmax":
        softmax(xp, z)
    elif name == "logistic":
        ACTIVATIONS["logistic"](xp, z, z)
    elif name == "exp":
        xp.exp(z, out=z)
    elif name != "identity":
        raise ValueError(f"unknown output activation {name!r}")
