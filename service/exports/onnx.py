"""A fitted model as an ONNX graph that predicts what /predict predicts.

One float32 input ``input`` [N, n_features] of raw features: the standardization, every layer
and activation, the output head and the mapping back to the original labels or target units
are inside the graph, so a consumer needs nothing but the file (and onnxruntime, or any
runtime of the default ONNX domain: no ONNX-ML operator is used). Outputs:

* classification: ``label`` [N] (the original class values: int64, string, bool or double)
  and ``probabilities`` [N, n_classes] (two columns for two classes, as /predict gives);
* multilabel: ``label`` [N, n_labels] (int64 0/1: each label's probability over 0.5) and
  ``probabilities`` [N, n_labels] (a sigmoid per label);
* regression: ``predictions`` in target units, float64: [N] for one target, else
  [N, n_targets]; poisson's log link is an ``Exp`` on the output layer.

The graph computes in the model's dtype with the operators' orders of the engine
(engine/activations.py), so its outputs match the engine's to float rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine import FittedModel
from engine.activations import ELU_ALPHA, GELU_C, GELU_K, LEAKY_SLOPE
from service.exports.signature import INPUT, TensorSpec, input_spec, label_dtype, output_specs

OPSET = 17  # Softmax over one axis, Squeeze with axes as an input; onnxruntime ≥ 1.12
PRODUCER = "mlpforge"


_ELEMENT_TYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.bool_): TensorProto.BOOL,
}


def element_type(dtype: Any) -> int:
    return TensorProto.STRING if dtype is str else _ELEMENT_TYPES[np.dtype(dtype)]


@dataclass
class _Graph:
    """Nodes and initializers under construction, with fresh names for intermediates."""

    dtype: np.dtype[Any]
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    _count: int = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: Any, dtype: Any = None) -> str:
        array = np.asarray(value, dtype=dtype or self.dtype)
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, out: str | None = None,
           **attrs: Any) -> str:  # fmt: skip
        out = out or self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def _gelu(g: _Graph, z: str) -> str:
    # 0.5 z (1 + tanh(c z (1 + k z^2))), in the engine's order of operations
    t = g.op("Mul", [z, z], "gelu_z2")
    t = g.op("Mul", [t, g.const("gelu_k", GELU_K)], "gelu")
    t = g.op("Add", [t, g.const("one", 1.0)], "gelu")
    t = g.op("Mul", [t, z], "gelu")
    t = g.op("Mul", [t, g.const("gelu_c", GELU_C)], "gelu")
    t = g.op("Tanh", [t], "gelu")
    t = g.op("Add", [t, g.const("one", 1.0)], "gelu")
    t = g.op("Mul", [z, t], "gelu")
    return g.op("Mul", [t, g.const("half", 0.5)], "gelu")


_ACTIVATIONS: dict[str, Callable[[_Graph, str], str]] = {
    "identity": lambda g, z: z,
    "logistic": lambda g, z: g.op("Sigmoid", [z], "logistic"),
    "tanh": lambda g, z: g.op("Tanh", [z], "tanh"),
    "relu": lambda g, z: g.op("Relu", [z], "relu"),
    "leaky_relu": lambda g, z: g.op("LeakyRelu", [z], "leaky_relu", alpha=LEAKY_SLOPE),
    "elu": lambda g, z: g.op("Elu", [z], "elu", alpha=ELU_ALPHA),
    "gelu": _gelu,
}

SUPPORTED_ACTIVATIONS = frozenset(_ACTIVATIONS)


def _network(g: _Graph, model: FittedModel) -> str:
    """Standardize, then every dense layer; returns the output layer's pre-activation."""
    a = INPUT
    if g.dtype != np.float32:
        a = g.op("Cast", [a], "input_cast", to=element_type(g.dtype))
    if model.x_mean_ is not None and model.x_scale_ is not None:
        a = g.op("Sub", [a, g.const("x_mean", model.x_mean_)], "centered")
        a = g.op("Div", [a, g.const("x_scale", model.x_scale_)], "standardized")
    layers = model.weights()  # in the model's own dtype: float64 weights stay float64
    activate = _ACTIVATIONS[model.activation]
    for i, (weights, bias) in enumerate(layers):
        w = g.const(f"layer{i}_weight", weights)
        b = g.const(f"layer{i}_bias", bias)
        a = g.op("Gemm", [a, w, b], f"layer{i}")
        if i < len(layers) - 1:
            a = activate(g, a)
    return a


def _classification_head(g: _Graph, model: FittedModel, z: str) -> None:
    assert model.classes_ is not None
    if model.multilabel:  # a sigmoid per label; a label is on above 0.5, as FittedModel.predict
        g.op("Sigmoid", [z], "p", out="probabilities")
        on = g.op("Greater", ["probabilities", g.const("half", 0.5)], "on")
        g.op("Cast", [on], "label", out="label", to=TensorProto.INT64)
        return
    if model.output_activation == "softmax":
        g.op("Softmax", [z], "softmax", out="probabilities", axis=1)
    else:  # one logistic unit: [1 - p, p], as FittedModel.predict_proba
        p = g.op("Sigmoid", [z], "p")
        q = g.op("Sub", [g.const("one", 1.0), p], "q")
        g.op("Concat", [q, p], "concat", out="probabilities", axis=1)
    index = g.op("ArgMax", ["probabilities"], "class_index", axis=1, keepdims=0)
    g.op("Gather", [_classes(g, model.classes_), index], "gather", out="label", axis=0)


def _classes(g: _Graph, classes: np.ndarray) -> str:
    dtype = label_dtype(classes)
    values = classes.astype(object if dtype is str else dtype)  # strings: UTF-8 in the file
    return g.const("classes", values, dtype=values.dtype)


def _regression_head(g: _Graph, model: FittedModel, z: str) -> None:
    if model.output_activation == "exp":  # poisson's log link, in the model's dtype
        z = g.op("Exp", [z], "exp")
    # As FittedModel.predict: back to target units.
    y = g.op("Cast", [z], "outputs64", to=TensorProto.DOUBLE)
    last = "predictions" if model.n_outputs_ > 1 else None
    if model.y_mean_ is not None and model.y_scale_ is not None:
        f64 = np.float64
        y = g.op("Mul", [y, g.const("y_scale", model.y_scale_, f64)], "scaled")
        y = g.op("Add", [y, g.const("y_mean", model.y_mean_, f64)], "target", out=last)
    elif last is not None:
        y = g.op("Identity", [y], "target", out=last)
    if model.n_outputs_ == 1:
        axes = g.const("axis1", [1], np.int64)
        g.op("Squeeze", [y, axes], "squeeze", out="predictions")


def _value_info(spec: TensorSpec) -> onnx.ValueInfoProto:
    shape = ["N" if d < 0 else d for d in spec.shape]
    return helper.make_tensor_value_info(spec.name, element_type(spec.dtype), shape)


def to_onnx(model: FittedModel, *, name: str = "mlpforge") -> bytes:
    """The serialized ONNX model; checked with ``onnx.checker`` (full check) before it leaves."""
    g = _Graph(np.dtype(model.dtype))
    z = _network(g, model)
    if model.task == "classification":
        _classification_head(g, model, z)
    else:
        _regression_head(g, model, z)
    graph = helper.make_graph(
        g.nodes,
        name,
        [_value_info(input_spec(model))],
        [_value_info(spec) for spec in output_specs(model)],
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET)]
    onnx_model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name=PRODUCER,
        ir_version=helper.find_min_ir_version_for(opsets),
    )
    helper.set_model_props(onnx_model, _properties(model))
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model.SerializeToString()


def _properties(model: FittedModel) -> dict[str, str]:
    return {
        "task": model.task,
        "activation": model.activation,
        "hidden_layer_sizes": ",".join(map(str, model.hidden_layer_sizes)),
        "n_features": str(model.n_features_in_),
    }
