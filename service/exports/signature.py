"""What an exported model takes and gives: the ONNX graph's inputs and outputs, which the
Open Inference Protocol (V2) serves under the same names, types and shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import FittedModel

INPUT = "input"


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: Any  # a numpy dtype, or str for a string tensor
    shape: tuple[int, ...]  # -1 for the batch dimension


def input_spec(model: FittedModel) -> TensorSpec:
    """One float32 matrix of raw (unstandardized) features."""
    return TensorSpec(INPUT, np.dtype(np.float32), (-1, model.n_features_in_))


def output_specs(model: FittedModel) -> list[TensorSpec]:
    """classification: ``label`` [N] and ``probabilities`` [N, n_classes] (two columns for two
    classes); multilabel: ``label`` [N, n_labels] int64 0/1 and ``probabilities`` [N, n_labels]
    (each label's own); regression: ``predictions`` in target units, [N] or [N, n_targets],
    float64."""
    if model.task == "classification":
        assert model.classes_ is not None
        width = len(model.classes_)
        if model.multilabel:
            label = TensorSpec("label", np.dtype(np.int64), (-1, width))
        else:
            label = TensorSpec("label", label_dtype(model.classes_), (-1,))
        return [label, TensorSpec("probabilities", np.dtype(model.dtype), (-1, width))]
    shape = (-1,) if model.n_outputs_ == 1 else (-1, model.n_outputs_)
    return [TensorSpec("predictions", np.dtype(np.float64), shape)]


def label_dtype(classes: np.ndarray) -> Any:
    """How class labels travel: int64, bool, float64, or str."""
    kind = classes.dtype.kind
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "b":
        return np.dtype(np.bool_)
    if kind == "f":
        return np.dtype(np.float64)
    return str
