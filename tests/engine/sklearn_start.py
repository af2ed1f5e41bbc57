"""Start an engine fit from scikit-learn's initial weights, so that trajectories compare."""

from __future__ import annotations

import numpy as np

from engine import Trainer


def sklearn_initial_weights(trainer: Trainer, seed: int) -> None:
    """scikit-learn's ``_init_coef``, layer by layer, from ``RandomState(seed)``: Glorot
    uniform (factor 2 for logistic), biases from the same range."""
    draw = np.random.RandomState(seed)
    factor = 2.0 if trainer.params.activation == "logistic" else 6.0
    params = trainer.net.params
    for (fan_in, fan_out), ws, bs in zip(
        trainer.layout.shapes,
        trainer.layout.weight_slices(),
        trainer.layout.bias_slices(),
        strict=True,
    ):
        bound = np.sqrt(factor / (fan_in + fan_out))
        params[ws] = draw.uniform(-bound, bound, (fan_in, fan_out)).ravel()
        params[bs] = draw.uniform(-bound, bound, fan_out)


def max_difference(ours: list[np.ndarray], theirs: list[np.ndarray]) -> float:
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True))
