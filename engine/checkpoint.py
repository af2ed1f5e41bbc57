"""The trainer's full state to and from one safetensors blob (arrays + JSON). Never pickle.

A checkpoint taken at an epoch boundary (``on_epoch``) or inside an epoch (``on_progress``)
resumes the stochastic solvers bit-identically; lbfgs resumes from its last iterate (see
engine/lbfgs.py). It refuses other data: shapes, classes and weights must agree, and so must the
standardization statistics recomputed from the data — or, for a fit that continued a model
(which keeps the model's statistics), a fingerprint of the raw columns.

Version 2 adds multilabel targets, sample weights, continued fits and lbfgs; version 1
checkpoints still resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.blob import check_array, decode_classes, encode_classes, pack, unpack
from engine.dataset import Encoding
from engine.epochs import position_from
from engine.errors import EngineError, ModelFormatError
from engine.params import MLPParams, Task
from engine.report import history_from_json
from engine.xp import to_float, to_host

if TYPE_CHECKING:
    from engine.trainer import Trainer

CHECKPOINT_FORMAT = "mlpforge-checkpoint"
CHECKPOINT_VERSION = 2
READABLE_VERSIONS = (1, 2)
WHAT = "checkpoint"
_SCALERS = ("x_mean", "x_scale", "y_mean", "y_scale")


@dataclass(frozen=True)
class Setup:
    """What rebuilding the trainer of a checkpoint needs before its state is loaded."""

    params: MLPParams
    task: Task
    dtype: np.dtype[Any]
    entropy: int
    keep: Encoding | None  # a continued fit's encoding (None: recomputed from the data)


def write_checkpoint(trainer: Trainer) -> bytes:
    """Everything needed to continue ``trainer``'s fit, as one safetensors blob."""
    if trainer._mid_epoch and trainer._position is None:
        raise EngineError(
            "checkpoint: the trainer stopped inside an epoch; use the last "
            "checkpoint taken from on_epoch"
        )
    data = trainer.data
    opt_arrays, opt_scalars = trainer.optimizer.state()
    params = trainer.net.params if trainer._iterate is None else trainer._iterate
    arrays = {"params": to_host(params).astype(trainer.dtype)}
    arrays.update({f"optimizer.{k}": to_host(v) for k, v in opt_arrays.items()})
    if trainer._best_params is not None:
        arrays["best_params"] = to_host(trainer._best_params)
    for name in _SCALERS:
        value = getattr(data, name)
        if value is not None:
            arrays[name] = value
    if trainer._fingerprint is not None:
        arrays["fingerprint.mean"], arrays["fingerprint.scale"] = trainer._fingerprint
    state: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "task": trainer.task,
        "dtype": str(trainer.dtype),
        "params": trainer.params.to_dict(),
        "seed_entropy": trainer._entropy,
        "n_samples": data.n_samples,
        "n_features": data.n_features,
        "n_outputs": data.n_outputs,
        "classes": encode_classes(data.classes),
        "multilabel": data.multilabel,
        "weights": data.weights_digest,
        "continued": trainer._fingerprint is not None,
        "epoch": trainer.epoch,
        "samples_seen": trainer._samples_seen,
        "evaluations": trainer._evaluations,
        "history": list(trainer.history),
        "rng": trainer._rng.bit_generator.state,
        "optimizer": opt_scalars,
        "schedule": trainer.schedule.state(),
        "stopping": trainer.stopping.state(),
        "finished": trainer._finished,
        "converged": trainer.converged,
    }
    position = trainer._position
    if position is not None:
        state["position"] = {
            "next_start": position.next_start,
            "total": to_float(position.total),
            "squared_residuals": position.squared_residuals,
        }
        if position.order is not None:
            arrays["position.order"] = position.order.astype(np.int64)
    return pack(arrays, state)


def read_checkpoint(blob: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any], Setup]:
    arrays, doc = unpack(blob, WHAT)
    if doc.get("format") != CHECKPOINT_FORMAT:
        raise ModelFormatError(f"{WHAT}: not an mlpforge checkpoint (format {doc.get('format')!r})")
    if doc.get("version") not in READABLE_VERSIONS:
        raise ModelFormatError(f"{WHAT}: unsupported version {doc.get('version')!r}")
    try:
        params = MLPParams.from_dict(doc["params"])
        task, dtype, entropy = doc["task"], np.dtype(doc["dtype"]), int(doc["seed_entropy"])
        keep = None
        if doc.get("continued"):
            n_outputs = int(doc["n_outputs"])
            scalers = {name: arrays[name].copy() if name in arrays else None for name in _SCALERS}
            classes = decode_classes(doc["classes"], WHAT)
            n_features = int(doc["n_features"])
            keep = Encoding(classes, bool(doc["multilabel"]), n_features, n_outputs, **scalers)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{WHAT}: bad metadata ({exc})") from exc
    return arrays, doc, Setup(params, task, dtype, entropy, keep)


def restore(trainer: Trainer, arrays: dict[str, np.ndarray], doc: dict[str, Any]) -> None:
    """Load a checkpoint's state into a trainer built on the same data (``Setup``)."""
    _check_same_data(arrays, doc, trainer)
    size, xp = (trainer.layout.size,), trainer.xp

    def array(name: str) -> Any:
        return xp.asarray(check_array(arrays, name, size, trainer.dtype, WHAT))

    try:
        trainer.net.params[...] = array("params")
        opt_arrays = {s: array(f"optimizer.{s}") for s in trainer.optimizer.slots}
        trainer.optimizer.load_state(opt_arrays, doc["optimizer"])
        if "best_params" in arrays:
            trainer._best_params = array("best_params")
        trainer.schedule.load_state(doc["schedule"])
        trainer.stopping.load_state(doc["stopping"])
        trainer._rng.bit_generator.state = doc["rng"]
        trainer.epoch = int(doc["epoch"])
        trainer._samples_seen = int(doc["samples_seen"])
        trainer._evaluations = int(doc.get("evaluations", 0))
        trainer.history = history_from_json(doc["history"])
        trainer._finished = bool(doc["finished"])
        trainer.converged = bool(doc.get("converged", False))  # older checkpoints lack it
        if trainer.params.solver == "lbfgs" and trainer.epoch:
            trainer._iterate = to_host(trainer.net.params).astype(np.float64)
        if "position" in doc:
            trainer._position = position_from(arrays, doc["position"], trainer.data.n_train)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{WHAT}: bad state ({exc})") from exc


def _check_same_data(arrays: dict[str, np.ndarray], doc: dict[str, Any], trainer: Trainer) -> None:
    """Refuse a checkpoint taken on other data: shapes, classes, weights, and the scalers (or
    a continued fit's fingerprint), which are recomputed from the data and must agree bit for
    bit."""
    data = trainer.data
    try:
        same = (
            doc["n_samples"] == data.n_samples
            and doc["n_features"] == data.n_features
            and doc["n_outputs"] == data.n_outputs
            and bool(doc.get("multilabel", False)) == data.multilabel
            and doc.get("weights") == data.weights_digest
        )
        classes = decode_classes(doc["classes"], WHAT)
    except KeyError as exc:
        raise ModelFormatError(f"{WHAT}: bad metadata (missing {exc})") from exc
    if not same or not _same_classes(classes, data.classes):
        raise ModelFormatError(
            f"{WHAT}: it was taken on other data (shape, classes or sample weights differ)"
        )
    compared: list[tuple[str, np.ndarray | None]] = [(n, getattr(data, n)) for n in _SCALERS]
    if trainer._fingerprint is not None:
        mean, scale = trainer._fingerprint
        compared = [("fingerprint.mean", mean), ("fingerprint.scale", scale)]
    for name, mine in compared:
        if mine is None:
            continue
        stored = check_array(arrays, name, mine.shape, mine.dtype, WHAT)
        if not np.array_equal(stored, mine):
            raise ModelFormatError(f"{WHAT}: it was taken on other data ({name} differs)")


def _same_classes(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.dtype.kind == b.dtype.kind and a.shape == b.shape and bool(np.all(a == b))
