"""Shapes of a dense network and the layout of its parameters in one flat vector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from engine.params import Task


def layer_shapes(
    n_features: int, hidden_layer_sizes: Sequence[int], n_outputs: int
) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of every dense layer, input to output."""
    sizes = [int(n_features), *(int(h) for h in hidden_layer_sizes), int(n_outputs)]
    return list(pairwise(sizes))


def count_parameters(n_features: int, hidden_layer_sizes: Sequence[int], n_outputs: int) -> int:
    """Weights plus biases of the network (for classification n_outputs is 1 for 2 classes)."""
    return sum(
        fan_in * fan_out + fan_out
        for fan_in, fan_out in layer_shapes(n_features, hidden_layer_sizes, n_outputs)
    )


def n_outputs_for(task: Task, n_classes: int | None, n_targets: int) -> int:
    """Output units: one logistic unit for 2 classes, one per class above, one per target."""
    if task == "classification":
        assert n_classes is not None
        return 1 if n_classes == 2 else n_classes
    return n_targets


@dataclass(frozen=True)
class ParameterLayout:
    """Where each layer's W and b live in one flat parameter vector.

    All weights come first (layer by layer, each W row-major [fan_in, fan_out]), then all
    biases, so the L2/L1 penalties and weight decay act on one contiguous slice
    ``[0, n_weights)`` and every optimizer update is a handful of large fused operations.
    """

    shapes: tuple[tuple[int, int], ...]

    @property
    def n_weights(self) -> int:
        return sum(i * o for i, o in self.shapes)

    @property
    def size(self) -> int:
        return self.n_weights + sum(o for _, o in self.shapes)

    def weight_slices(self) -> list[slice]:
        out, start = [], 0
        for i, o in self.shapes:
            out.append(slice(start, start + i * o))
            start += i * o
        return out

    def bias_slices(self) -> list[slice]:
        out, start = [], self.n_weights
        for _, o in self.shapes:
            out.append(slice(start, start + o))
            start += o
        return out
