"""Arrays to and from bytes: .npy, never pickle."""

from __future__ import annotations

import io

import numpy as np


def to_npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def from_npy(blob: bytes) -> np.ndarray:
    """A read-only array over ``blob`` itself: no copy of a dataset that may be 80 MB.

    Like ``np.load(..., allow_pickle=False)``, an object array is refused.
    """
    stream = io.BytesIO(blob)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise ValueError("object arrays cannot be loaded (they would need unpickling)")
    count = int(np.prod(shape, dtype=np.int64))
    flat = np.frombuffer(blob, dtype=dtype, count=count, offset=stream.tell())
    return flat.reshape(shape, order="F" if fortran_order else "C")


def as_bytes(raw: bytes | str) -> bytes:
    """redis-py types replies as bytes | str; this client never decodes, so they are bytes."""
    return raw if isinstance(raw, bytes) else raw.encode()
