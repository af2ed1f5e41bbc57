"""The trainer's full state to and from one safetensors blob (arrays + JSON). Never pickle."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.container import check_array, decode_classes, pack, unpack
from engine.dataset import PreparedData
from engine.errors import ModelFormatError

CHECKPOINT_FORMAT = "mlpforge-checkpoint"
CHECKPOINT_VERSION = 1
WHAT = "checkpoint"


def dump_checkpoint(arrays: dict[str, np.ndarray], state: dict[str, Any]) -> bytes:
    doc = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}
    return pack(arrays, doc)


def load_checkpoint(blob: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays, doc = unpack(blob, WHAT)
    if doc.get("format") != CHECKPOINT_FORMAT:
        raise ModelFormatError(f"{WHAT}: not an mlpforge checkpoint (format {doc.get('format')!r})")
    if doc.get("version") != CHECKPOINT_VERSION:
        raise ModelFormatError(f"{WHAT}: unsupported version {doc.get('version')!r}")
    return arrays, doc


def check_same_data(
    arrays: dict[str, np.ndarray], doc: dict[str, Any], data: PreparedData, dtype: Any
) -> None:
    """Refuse a checkpoint taken on other data: shapes, classes, and the scalers, which are
    recomputed from the data and must agree bit for bit."""
    try:
        same = (
            doc["n_samples"] == data.n_samples
            and doc["n_features"] == data.n_features
            and doc["n_outputs"] == data.n_outputs
        )
        classes = decode_classes(doc["classes"], WHAT)
    except KeyError as exc:
        raise ModelFormatError(f"{WHAT}: bad metadata (missing {exc})") from exc
    if not same or not _same_classes(classes, data.classes):
        raise ModelFormatError(f"{WHAT}: it was taken on other data (shape or classes differ)")
    for name in ("x_mean", "x_scale", "y_mean", "y_scale"):
        mine = getattr(data, name)
        if mine is None:
            continue
        stored = check_array(arrays, name, mine.shape, dtype, WHAT)
        if not np.array_equal(stored, mine):
            raise ModelFormatError(f"{WHAT}: it was taken on other data ({name} differs)")


def _same_classes(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.dtype.kind == b.dtype.kind and a.shape == b.shape and bool(np.all(a == b))
