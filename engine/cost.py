"""What one epoch costs, estimated before anything runs, so that a service can refuse a job
that would hold a worker for hours per epoch.

The unit is the multiply-add. A dense layer's forward pass costs one per weight per row, its
backward pass two (the weights' gradient and the error passed down), so an epoch costs about
three per weight per training row. numpy adds a fixed cost per layer per batch (a dozen
calls of a few µs each), which dominates deep, narrow networks: measured at ~15 µs per layer
and batch on a 2-core x86 machine that does ~4e10 multiply-adds/s in the BLAS, i.e. the price
of ~6e5 multiply-adds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.architecture import layer_shapes

MULTIPLY_ADDS_PER_WEIGHT_AND_ROW = 3
LAYER_BATCH_OVERHEAD = 600_000


def epoch_work(
    n_train: int,
    n_features: int,
    hidden_layer_sizes: Sequence[int],
    n_outputs: int,
    batch_size: int,
) -> float:
    """Estimated multiply-adds of one epoch over ``n_train`` rows."""
    shapes = layer_shapes(n_features, hidden_layer_sizes, n_outputs)
    weights = sum(fan_in * fan_out for fan_in, fan_out in shapes)
    batches = math.ceil(n_train / max(1, batch_size))
    return float(
        MULTIPLY_ADDS_PER_WEIGHT_AND_ROW * n_train * weights
        + batches * len(shapes) * LAYER_BATCH_OVERHEAD
    )
