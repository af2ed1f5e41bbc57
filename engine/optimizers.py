"""Optimizers over one flat parameter vector: each is a tiny class with one ``step`` hook.

``step(params, grads, lr)`` updates ``params`` in place from the full gradient, using a few large
in-place operations and one scratch buffer allocated at construction. Names, meanings and
defaults follow scikit-learn's ``_stochastic_optimizers.py`` (sgd, adam); rmsprop, adagrad and
adamw follow PyTorch's formulas. State (moments, step count) round-trips through ``state()`` /
``load_state()`` for checkpoints.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from engine.params import MLPParams
from engine.xp import Array


class Optimizer:
    slots: tuple[str, ...] = ()

    def __init__(self, xp: ModuleType, size: int, dtype: Any, n_weights: int) -> None:
        self.xp = xp
        self.n_weights = n_weights
        self.t = 0
        self._tmp = xp.empty(size, dtype=dtype)
        for slot in self.slots:
            setattr(self, slot, xp.zeros(size, dtype=dtype))

    def step(self, params: Array, grads: Array, lr: float) -> None:
        raise NotImplementedError

    def state(self) -> tuple[dict[str, Array], dict[str, Any]]:
        return {s: getattr(self, s) for s in self.slots}, {"t": self.t}

    def load_state(self, arrays: dict[str, Array], scalars: dict[str, Any]) -> None:
        for s in self.slots:
            getattr(self, s)[...] = arrays[s]
        self.t = int(scalars["t"])


class SGD(Optimizer):
    """velocity = momentum * velocity - lr * grad; Nesterov adds momentum * velocity - lr * grad."""

    slots = ("velocity",)
    velocity: Array

    def __init__(
        self,
        xp: ModuleType,
        size: int,
        dtype: Any,
        n_weights: int,
        *,
        momentum: float,
        nesterov: bool,
    ) -> None:
        super().__init__(xp, size, dtype, n_weights)
        self.momentum, self.nesterov = momentum, nesterov

    def step(self, params: Array, grads: Array, lr: float) -> None:
        xp, v, scaled = self.xp, self.velocity, self._tmp
        self.t += 1
        xp.multiply(grads, lr, out=scaled)
        v *= self.momentum
        v -= scaled
        if self.nesterov:
            params -= scaled
            xp.multiply(v, self.momentum, out=scaled)
            params += scaled
        else:
            params += v


class Adam(Optimizer):
    """scikit-learn's Adam, with the bias correction folded into the step size.

    The moments are kept unnormalized, M = m / (1 - beta_1) and V = v / (1 - beta_2), so that
    each update is ``M = beta_1 M + g`` and ``V = beta_2 V + g^2`` (two fewer passes over the
    parameters); the step rescales to exactly scikit-learn's
    ``lr_t m / (sqrt(v) + epsilon)`` with ``lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)``.
    """

    slots = ("m", "v")
    m: Array
    v: Array

    def __init__(
        self,
        xp: ModuleType,
        size: int,
        dtype: Any,
        n_weights: int,
        *,
        beta_1: float,
        beta_2: float,
        epsilon: float,
    ) -> None:
        super().__init__(xp, size, dtype, n_weights)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _moments(self, grads: Array) -> float:
        """Update the moments; returns the step size factor for a rate of 1."""
        xp, tmp = self.xp, self._tmp
        self.t += 1
        self.m *= self.beta_1
        self.m += grads
        xp.multiply(grads, grads, out=tmp)
        self.v *= self.beta_2
        self.v += tmp
        correction = math.sqrt(1.0 - self.beta_2**self.t) / (1.0 - self.beta_1**self.t)
        return correction * (1.0 - self.beta_1) / math.sqrt(1.0 - self.beta_2)

    def _apply(self, params: Array, step_size: float) -> None:
        xp, tmp = self.xp, self._tmp
        xp.sqrt(self.v, out=tmp)
        tmp += self.epsilon / math.sqrt(1.0 - self.beta_2)
        xp.divide(self.m, tmp, out=tmp)
        tmp *= step_size
        params -= tmp

    def step(self, params: Array, grads: Array, lr: float) -> None:
        self._apply(params, lr * self._moments(grads))


class AdamW(Adam):
    """Adam with decoupled weight decay on the weights (not the biases): W -= lr * wd * W."""

    def __init__(
        self,
        xp: ModuleType,
        size: int,
        dtype: Any,
        n_weights: int,
        *,
        beta_1: float,
        beta_2: float,
        epsilon: float,
        weight_decay: float,
    ) -> None:
        super().__init__(xp, size, dtype, n_weights, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.weight_decay = weight_decay

    def step(self, params: Array, grads: Array, lr: float) -> None:
        correction = self._moments(grads)
        if self.weight_decay:
            params[: self.n_weights] *= 1.0 - lr * self.weight_decay
        self._apply(params, lr * correction)


class RMSprop(Optimizer):
    """v = rho v + (1 - rho) g^2;  p -= lr g / (sqrt(v) + eps)."""

    slots = ("v",)
    v: Array

    def __init__(
        self, xp: ModuleType, size: int, dtype: Any, n_weights: int, *, rho: float, epsilon: float
    ) -> None:
        super().__init__(xp, size, dtype, n_weights)
        self.rho, self.epsilon = rho, epsilon

    def step(self, params: Array, grads: Array, lr: float) -> None:
        xp, tmp = self.xp, self._tmp
        self.t += 1
        xp.multiply(grads, grads, out=tmp)
        tmp -= self.v
        tmp *= 1.0 - self.rho
        self.v += tmp
        _divide_step(xp, params, grads, self.v, tmp, lr, self.epsilon)


class Adagrad(Optimizer):
    """s += g^2;  p -= lr g / (sqrt(s) + eps)."""

    slots = ("sum_sq",)
    sum_sq: Array

    def __init__(
        self, xp: ModuleType, size: int, dtype: Any, n_weights: int, *, epsilon: float
    ) -> None:
        super().__init__(xp, size, dtype, n_weights)
        self.epsilon = epsilon

    def step(self, params: Array, grads: Array, lr: float) -> None:
        xp, tmp = self.xp, self._tmp
        self.t += 1
        xp.multiply(grads, grads, out=tmp)
        self.sum_sq += tmp
        _divide_step(xp, params, grads, self.sum_sq, tmp, lr, self.epsilon)


def _divide_step(
    xp: ModuleType,
    params: Array,
    grads: Array,
    second: Array,
    tmp: Array,
    lr: float,
    epsilon: float,
) -> None:
    xp.sqrt(second, out=tmp)
    tmp += epsilon
    xp.divide(grads, tmp, out=tmp)
    tmp *= lr
    params -= tmp


def make_optimizer(
    params: MLPParams, xp: ModuleType, size: int, dtype: Any, n_weights: int
) -> Optimizer:
    if params.solver == "lbfgs":
        # L-BFGS keeps its state inside scipy (engine/lbfgs.py): nothing to step or save here
        return Optimizer(xp, 0, dtype, n_weights)
    common = (xp, size, dtype, n_weights)
    if params.solver == "sgd":
        return SGD(*common, momentum=params.momentum, nesterov=params.nesterovs_momentum)
    if params.solver == "adam":
        return Adam(*common, beta_1=params.beta_1, beta_2=params.beta_2, epsilon=params.epsilon)
    if params.solver == "adamw":
        return AdamW(
            *common,
            beta_1=params.beta_1,
            beta_2=params.beta_2,
            epsilon=params.epsilon,
            weight_decay=params.weight_decay,
        )
    if params.solver == "rmsprop":
        return RMSprop(*common, rho=params.rho, epsilon=params.epsilon)
    if params.solver == "adagrad":
        return Adagrad(*common, epsilon=params.epsilon)
    raise ValueError(f"solver: unknown solver {params.solver!r}")
