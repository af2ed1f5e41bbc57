"""Arrays to and from bytes: .npy, never pickle."""

from __future__ import annotations

import io

import numpy as np


def to_npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def from_npy(blob: bytes) -> np.ndarray:
    return np.load(io.BytesIO(blob), allow_pickle=False)


def as_bytes(raw: bytes | str) -> bytes:
    """redis-py types replies as bytes | str; this client never decodes, so they are bytes."""
    return raw if isinstance(raw, bytes) else raw.encode()
