"""The trainer's full state to and from one safetensors blob (arrays + JSON). Never pickle."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.container import pack, unpack
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
