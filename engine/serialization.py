"""A fitted model to and from one safetensors blob (metadata JSON in the header). Never pickle."""

from __future__ import annotations

import platform
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np

from engine.architecture import layer_shapes, output_activation_for
from engine.container import (
    check_array,
    check_names,
    decode_classes,
    encode_classes,
    pack,
    unpack,
)
from engine.errors import ModelFormatError
from engine.model import FittedModel
from engine.params import MLPParams
from engine.report import history_from_json

MODEL_FORMAT = "mlpforge-model"
MODEL_VERSION = 1
_WHAT = "model file"
_DTYPES = ("float32", "float64")


def versions() -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            return "unknown"

    return {
        "mlpforge": version("mlpforge"),
        "numpy": np.__version__,
        "safetensors": version("safetensors"),
        "python": platform.python_version(),
    }


def scaler_arrays(
    x_mean: np.ndarray | None,
    x_scale: np.ndarray | None,
    y_mean: np.ndarray | None,
    y_scale: np.ndarray | None,
) -> dict[str, np.ndarray]:
    named = {"x_mean": x_mean, "x_scale": x_scale, "y_mean": y_mean, "y_scale": y_scale}
    return {k: v for k, v in named.items() if v is not None}


def dump_model(model: FittedModel) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(model._layers):
        arrays[f"layers.{i}.weight"] = w
        arrays[f"layers.{i}.bias"] = b
    arrays.update(scaler_arrays(model.x_mean_, model.x_scale_, model.y_mean_, model.y_scale_))
    doc = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        **model.metadata(),
        "classes": encode_classes(model.classes_),
        "history": list(model.history),
    }
    return pack(arrays, doc)


def load_model(blob: bytes) -> FittedModel:
    arrays, doc = unpack(blob, _WHAT)
    if doc.get("format") != MODEL_FORMAT:
        raise ModelFormatError(f"{_WHAT}: not an mlpforge model (format {doc.get('format')!r})")
    if doc.get("version") != MODEL_VERSION:
        raise ModelFormatError(f"{_WHAT}: unsupported version {doc.get('version')!r}")
    try:
        task = doc["task"]
        if task not in ("classification", "regression"):
            raise ValueError(f"unknown task {task!r}")
        n_features = _positive(doc["n_features"], "n_features")
        n_outputs = _positive(doc["n_outputs"], "n_outputs")
        hidden = [_positive(h, "hidden_layer_sizes") for h in doc["hidden_layer_sizes"]]
        params = MLPParams.from_dict(doc["params"])
        dtype = doc["dtype"]
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        history = history_from_json(doc["history"])
        standardized = bool(doc["standardized"])
        best_epoch = doc["best_epoch"]
        activation = doc["activation"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{_WHAT}: bad metadata ({exc})") from exc
    classes = decode_classes(doc.get("classes"), _WHAT)
    if task == "classification":
        if classes is None:
            raise ModelFormatError(f"{_WHAT}: a classifier needs its classes")
        if n_outputs != (1 if classes.shape[0] == 2 else classes.shape[0]):
            raise ModelFormatError(f"{_WHAT}: {n_outputs} outputs for {classes.shape[0]} classes")
    if activation != params.activation:
        raise ModelFormatError(f"{_WHAT}: activation {activation!r} disagrees with params")

    shapes = layer_shapes(n_features, hidden, n_outputs)
    expected = {f"layers.{i}.{k}" for i in range(len(shapes)) for k in ("weight", "bias")}
    if standardized:
        expected |= {"x_mean", "x_scale"}
        if task == "regression":
            expected |= {"y_mean", "y_scale"}
    check_names(arrays, expected, _WHAT)
    layers = [
        (
            check_array(arrays, f"layers.{i}.weight", (fi, fo), dtype, _WHAT),
            check_array(arrays, f"layers.{i}.bias", (fo,), dtype, _WHAT),
        )
        for i, (fi, fo) in enumerate(shapes)
    ]
    scalers: dict[str, Any] = {}
    for name, size in (("x", n_features), ("y", n_outputs)):
        for part in ("mean", "scale"):
            key = f"{name}_{part}"
            scalers[key] = (
                check_array(arrays, key, (size,), dtype, _WHAT) if key in expected else None
            )
            if part == "scale" and scalers[key] is not None and (scalers[key] <= 0).any():
                raise ModelFormatError(f"{_WHAT}: tensor {key!r} must be positive")
    return FittedModel(
        task=task,
        layers=layers,
        activation=activation,
        output_activation=output_activation_for(task, n_outputs),
        params=params,
        classes=classes,
        history=history,
        best_epoch=best_epoch,
        **scalers,
    )


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value
