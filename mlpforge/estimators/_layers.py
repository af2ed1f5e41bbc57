"""The engine's weights as scikit-learn's ``coefs_`` / ``intercepts_``: acting on raw inputs.

The engine trains on standardized inputs ``(X - x_mean) / x_scale`` and, for regression, on
standardized targets ``(y - y_mean) / y_scale``. Both are affine, so they fold exactly into the
first layer and (regression) the last one:

    first:  W' = W / x_scale[:, None]        b' = b - (x_mean / x_scale) @ W
    last:   W' = W * y_scale[None, :]        b' = b * y_scale + y_mean

after which scikit-learn's own forward pass over ``coefs_`` on raw ``X`` gives ``predict``.
``unfold`` inverts it, so that training continues from ``coefs_`` as they are (scikit-learn's
``coefs_`` are the parameters: editing them changes what ``partial_fit`` starts from).
Folding happens in float64 (a feature far from zero, say a year, would otherwise cancel away
the digits of ``b'``) and the result is stored in the training dtype.
"""

from __future__ import annotations

import numpy as np

from engine import FittedModel

Layers = list[tuple[np.ndarray, np.ndarray]]


def fold(model: FittedModel) -> Layers:
    """(W', b') per layer, acting on raw inputs and giving targets in their own units, in the
    model's dtype."""
    layers = [(w.astype(np.float64), b.astype(np.float64)) for w, b in model.weights()]
    x_mean, x_scale = model.x_mean_, model.x_scale_
    if x_mean is not None and x_scale is not None:
        mean, scale = np.asarray(x_mean, np.float64), np.asarray(x_scale, np.float64)
        w, b = layers[0]
        layers[0] = (w / scale[:, None], b - (mean / scale) @ w)
    y_mean, y_scale = model.y_mean_, model.y_scale_
    if y_mean is not None and y_scale is not None:
        # affine only through an identity output (the engine never standardizes poisson's
        # targets, whose output is exp)
        assert model.output_activation == "identity", model.output_activation
        mean, scale = np.asarray(y_mean, np.float64), np.asarray(y_scale, np.float64)
        w, b = layers[-1]
        layers[-1] = (w * scale[None, :], b * scale + mean)
    return [(w.astype(model.dtype), b.astype(model.dtype)) for w, b in layers]


def unfold(model: FittedModel, layers: Layers) -> Layers:
    """``fold``'s inverse: raw-scale (W', b') back onto the model's standardized scale."""
    out = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in layers]
    y_mean, y_scale = model.y_mean_, model.y_scale_
    if y_mean is not None and y_scale is not None:
        mean, scale = np.asarray(y_mean, np.float64), np.asarray(y_scale, np.float64)
        w, b = out[-1]
        out[-1] = (w / scale[None, :], (b - mean) / scale)
    x_mean, x_scale = model.x_mean_, model.x_scale_
    if x_mean is not None and x_scale is not None:
        mean, scale = np.asarray(x_mean, np.float64), np.asarray(x_scale, np.float64)
        w, b = out[0]
        out[0] = (w * scale[:, None], b + mean @ w)
    return [(w.astype(model.dtype), b.astype(model.dtype)) for w, b in out]
