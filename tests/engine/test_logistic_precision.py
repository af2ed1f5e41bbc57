"""The logistic function keeps its relative precision far into the negative logits, as scipy's
`expit` does: 0.5 * (1 + tanh(z / 2)) once rounded to exactly 0 below z ≈ -38, so a binary
model's probability was 0 and its log loss infinite."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from engine import FittedModel, MLPParams
from engine.activations import ACTIVATIONS


def test_logistic_matches_expit_across_the_range() -> None:
    z = np.linspace(-700, 700, 14_001)
    out = z.copy()
    ACTIVATIONS["logistic"](np, out, np.empty_like(out))
    np.testing.assert_allclose(out, expit(z), rtol=1e-12, atol=0)
    assert (out[z > -700] > 0).all()


def test_a_binary_model_never_answers_a_probability_of_zero() -> None:
    model = FittedModel(
        task="classification",
        layers=[(np.array([[1.0]]), np.array([0.0]))],
        activation="relu",
        output_activation="logistic",
        params=MLPParams(hidden_layer_sizes=()),  # type: ignore[arg-type]
        classes=np.array([0, 1]),
    )
    positive = model.predict_proba(np.array([[-40.0], [-20.0], [40.0]]))[:, 1]
    np.testing.assert_allclose(positive, expit([-40.0, -20.0, 40.0]), rtol=1e-9)
    assert positive[0] > 0
