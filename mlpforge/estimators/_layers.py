"""The engine's weights as scikit-learn's ``coefs_`` / ``intercepts_``: acting on raw inputs.

The engine trains on standardized inputs ``(X - x_mean) / x_scale`` and, for regression, on
standardized targets ``(y - y_mean) / y_scale``. Both are affine, so they fold exactly into the
first layer and (regression) the last one:

    first:  W' = W / x_scale[:, None]        b' = b - (x_mean / x_scale) @ W
    last:   W' = W * y_scale[None, :]        b' = b * y_scale + y_mean

after which scikit-learn's own forward pass over ``coefs_`` on raw ``X`` gives ``predict``.
Folding happens in float64 (a feature far from zero, say a year, would otherwise cancel away
the digits of ``b'``) and the result is stored in the training dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import FittedModel

Layers = list[tuple[np.ndarray, np.ndarray]]


def native_layers(model: FittedModel) -> Layers:
    """The model's (W, b) in its training dtype."""
    weights = getattr(model, "weights", None)
    if weights is not None:
        return list(weights())
    # An engine without weights(): its layers() hands out float32 copies (ONNX's type), which
    # would cost a float64 fit its digits, so read the model's own arrays.
    return list(model._layers)


def fold(model: FittedModel, dtype: Any) -> Layers:
    """(W', b') per layer, acting on raw inputs and giving targets in their own units."""
    layers = [(w.astype(np.float64), b.astype(np.float64)) for w, b in native_layers(model)]
    x_mean, x_scale = model.x_mean_, model.x_scale_
    if x_mean is not None and x_scale is not None:
        mean, scale = np.asarray(x_mean, np.float64), np.asarray(x_scale, np.float64)
        w, b = layers[0]
        layers[0] = (w / scale[:, None], b - (mean / scale) @ w)
    y_mean, y_scale = model.y_mean_, model.y_scale_
    if y_mean is not None and y_scale is not None:
        mean, scale = np.asarray(y_mean, np.float64), np.asarray(y_scale, np.float64)
        w, b = layers[-1]
        layers[-1] = (w * scale[None, :], b * scale + mean)
    return [(w.astype(dtype), b.astype(dtype)) for w, b in layers]
