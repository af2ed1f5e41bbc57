"""A fitted model to and from one safetensors blob (metadata JSON in the header). Never pickle.

Version 2 (this one) adds the output activation (poisson's ``exp``), multilabel classifiers and
the training state a continued fit starts from (``training``: the solver's arrays under
``training.optimizer.<slot>``, its scalars, the schedule, the stopping rule, the samples seen).
Version 1 blobs still load, without a training state.
"""

from __future__ import annotations

import platform
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np

from engine.architecture import layer_shapes
from engine.blob import (
    check_array,
    check_names,
    decode_classes,
    encode_classes,
    pack,
    unpack,
)
from engine.errors import ModelFormatError
from engine.model import FittedModel, TrainingState
from engine.params import MLPParams
from engine.report import history_from_json

MODEL_FORMAT = "mlpforge-model"
MODEL_VERSION = 2
READABLE_VERSIONS = (1, 2)
_WHAT = "model file"
_DTYPES = ("float32", "float64")
_OUTPUTS = ("softmax", "logistic", "identity", "exp")
_OPTIMIZER = "training.optimizer."


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


def model_metadata(model: FittedModel) -> dict[str, Any]:
    """JSON-able description: task, classes, shapes, params, versions."""
    return {
        "task": model.task,
        "classes": None if model.classes_ is None else model.classes_.tolist(),
        "multilabel": model.multilabel,
        "n_features": model.n_features_in_,
        "n_outputs": model.n_outputs_,
        "hidden_layer_sizes": list(model.hidden_layer_sizes),
        "activation": model.activation,
        "output_activation": model.output_activation,
        "n_parameters": model.n_parameters,
        "params": model.params.to_dict(),
        "n_iter": model.n_iter_,
        "best_epoch": model.best_epoch,
        "standardized": model.standardized,
        "dtype": str(np.dtype(model.dtype)),
        "versions": versions(),
    }


def scaler_arrays(
    x_mean: np.ndarray | None,
    x_scale: np.ndarray | None,
    y_mean: np.ndarray | None,
    y_scale: np.ndarray | None,
) -> dict[str, np.ndarray]:
    named = {"x_mean": x_mean, "x_scale": x_scale, "y_mean": y_mean, "y_scale": y_scale}
    return {k: v for k, v in named.items() if v is not None}


def dump_model(model: FittedModel, *, training_state: bool = True) -> bytes:
    """One safetensors blob: weights, scalers, the metadata JSON in its header and (unless
    ``training_state`` is False) what a continued fit needs."""
    arrays: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(model.weights()):
        arrays[f"layers.{i}.weight"] = w
        arrays[f"layers.{i}.bias"] = b
    arrays.update(scaler_arrays(model.x_mean_, model.x_scale_, model.y_mean_, model.y_scale_))
    training = model.training if training_state else None
    if training is not None:
        arrays.update({_OPTIMIZER + k: v for k, v in training.optimizer_arrays.items()})
    doc = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        **model_metadata(model),
        "classes": encode_classes(model.classes_),
        "history": list(model.history),
        "training": None if training is None else _training_doc(training),
    }
    return pack(arrays, doc)


def _training_doc(state: TrainingState) -> dict[str, Any]:
    return {
        "solver": state.solver,
        "optimizer": state.optimizer_scalars,
        "slots": sorted(state.optimizer_arrays),
        "schedule": state.schedule,
        "stopping": state.stopping,
        "samples_seen": state.samples_seen,
    }


def load_model(blob: bytes) -> FittedModel:
    """Load ``dump_model`` output (version 1 or 2); a bad blob raises ModelFormatError."""
    arrays, doc = unpack(blob, _WHAT)
    if doc.get("format") != MODEL_FORMAT:
        raise ModelFormatError(f"{_WHAT}: not an mlpforge model (format {doc.get('format')!r})")
    version = doc.get("version")
    if version not in READABLE_VERSIONS:
        raise ModelFormatError(f"{_WHAT}: unsupported version {version!r}")
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
        multilabel = bool(doc.get("multilabel", False))
        output = doc.get("output_activation") or _v1_output(task, n_outputs)
        if output not in _OUTPUTS:
            raise ValueError(f"unknown output activation {output!r}")
        training_doc = doc.get("training")
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{_WHAT}: bad metadata ({exc})") from exc
    classes = decode_classes(doc.get("classes"), _WHAT)
    if task == "classification":
        if classes is None:
            raise ModelFormatError(f"{_WHAT}: a classifier needs its classes")
        binary = classes.shape[0] == 2 and not multilabel
        if n_outputs != (1 if binary else classes.shape[0]):
            raise ModelFormatError(f"{_WHAT}: {n_outputs} outputs for {classes.shape[0]} classes")
    if activation != params.activation:
        raise ModelFormatError(f"{_WHAT}: activation {activation!r} disagrees with params")

    shapes = layer_shapes(n_features, hidden, n_outputs)
    expected = {f"layers.{i}.{k}" for i in range(len(shapes)) for k in ("weight", "bias")}
    if standardized:
        expected |= {"x_mean", "x_scale"}
        if task == "regression" and params.loss != "poisson":
            expected |= {"y_mean", "y_scale"}
    slots = _slots(training_doc)
    expected |= {_OPTIMIZER + s for s in slots}
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
    size = sum(fi * fo + fo for fi, fo in shapes)
    training = None
    if training_doc is not None:
        training = _training_state(training_doc, arrays, slots, size, dtype)
    return FittedModel(
        task=task,
        layers=layers,
        activation=activation,
        output_activation=output,
        params=params,
        classes=classes,
        history=history,
        best_epoch=best_epoch,
        multilabel=multilabel,
        training=training,
        **scalers,
    )


def _v1_output(task: str, n_outputs: int) -> str:
    if task == "regression":
        return "identity"
    return "logistic" if n_outputs == 1 else "softmax"


def _slots(training_doc: Any) -> list[str]:
    if training_doc is None:
        return []
    try:
        return [str(s) for s in training_doc["slots"]]
    except (KeyError, TypeError) as exc:
        raise ModelFormatError(f"{_WHAT}: bad training state ({exc})") from exc


def _training_state(
    doc: dict[str, Any], arrays: dict[str, np.ndarray], slots: list[str], size: int, dtype: str
) -> TrainingState:
    try:
        return TrainingState(
            solver=str(doc["solver"]),
            optimizer_arrays={
                s: check_array(arrays, _OPTIMIZER + s, (size,), dtype, _WHAT) for s in slots
            },
            optimizer_scalars=dict(doc["optimizer"]),
            schedule=dict(doc["schedule"]),
            stopping=dict(doc["stopping"]),
            samples_seen=int(doc["samples_seen"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{_WHAT}: bad training state ({exc})") from exc


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value
