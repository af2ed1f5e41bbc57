"""One safetensors blob = arrays + a JSON document in the header's ``__metadata__["mlpforge"]``.

Nothing here ever unpickles: safetensors stores raw little-endian buffers and the metadata is
plain JSON. Every failure to read is a ``ModelFormatError``.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from engine.errors import ModelFormatError

METADATA_KEY = "mlpforge"
_MAX_HEADER = 100 * 1024 * 1024


def pack(arrays: dict[str, np.ndarray], document: dict[str, Any]) -> bytes:
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    contiguous = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    return bytes(st_save(contiguous, metadata={METADATA_KEY: text}))


def unpack(blob: bytes, what: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, document) of a blob written by ``pack``; ``what`` names it in errors."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise ModelFormatError(f"{what}: expected bytes, got {type(blob).__name__}")
    blob = bytes(blob)
    if len(blob) < 8:
        raise ModelFormatError(f"{what}: not a safetensors blob (only {len(blob)} bytes)")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if header_len > min(_MAX_HEADER, len(blob) - 8):
        raise ModelFormatError(f"{what}: not a safetensors blob (bad header length)")
    try:
        header = json.loads(blob[8 : 8 + header_len])
        text = header["__metadata__"][METADATA_KEY]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFormatError(
            f"{what}: the safetensors header has no mlpforge metadata ({exc})"
        ) from exc
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ModelFormatError(f"{what}: the mlpforge metadata is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ModelFormatError(f"{what}: the mlpforge metadata must be a JSON object")
    try:
        arrays = st_load(blob)
    except Exception as exc:  # safetensors raises its own error types on a damaged body
        raise ModelFormatError(f"{what}: the safetensors data is damaged ({exc})") from exc
    return arrays, document


def check_array(
    arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...], dtype: Any, what: str
) -> np.ndarray:
    """The named array, verified for presence, shape, dtype and finiteness (a writable copy)."""
    if name not in arrays:
        raise ModelFormatError(f"{what}: tensor {name!r} is missing")
    a = arrays[name]
    if tuple(a.shape) != tuple(shape):
        raise ModelFormatError(
            f"{what}: tensor {name!r} has shape {tuple(a.shape)}, expected {tuple(shape)}"
        )
    if a.dtype != np.dtype(dtype):
        raise ModelFormatError(f"{what}: tensor {name!r} has dtype {a.dtype}, expected {dtype}")
    if not np.isfinite(a).all():
        raise ModelFormatError(f"{what}: tensor {name!r} holds NaN or infinite values")
    return np.array(a, copy=True)


def check_names(arrays: dict[str, np.ndarray], expected: set[str], what: str) -> None:
    extra = sorted(set(arrays) - expected)
    missing = sorted(expected - set(arrays))
    if missing:
        raise ModelFormatError(f"{what}: tensor(s) missing: {', '.join(missing)}")
    if extra:
        raise ModelFormatError(f"{what}: unexpected tensor(s): {', '.join(extra)}")


def encode_classes(classes: np.ndarray | None) -> dict[str, Any] | None:
    if classes is None:
        return None
    return {"dtype": classes.dtype.str, "values": classes.tolist()}


def decode_classes(doc: Any, what: str) -> np.ndarray | None:
    if doc is None:
        return None
    try:
        dtype = np.dtype(doc["dtype"])
        if dtype.kind not in "biufU":
            raise ValueError(f"unsupported label dtype {dtype}")
        classes = np.asarray(doc["values"], dtype=dtype)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{what}: bad classes in metadata ({exc})") from exc
    if classes.ndim != 1 or classes.shape[0] < 2:
        raise ModelFormatError(f"{what}: classes must be a list of at least 2 labels")
    return classes
