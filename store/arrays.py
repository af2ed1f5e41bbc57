"""Arrays to and from bytes: .npy, never pickle."""

from __future__ import annotations

import io

import numpy as np


def to_npy_parts(array: np.ndarray) -> tuple[bytes, memoryview]:
    """What ``np.save(array, allow_pickle=False)`` writes, as (header, the array's own bytes),
    so that it is stored without a copy: an 80 MB dataset used to pass through np.save's
    buffer and a copy of that on its way to Redis.
    """
    array = np.ascontiguousarray(array)
    if array.dtype.hasobject:
        raise ValueError("object arrays cannot be stored (they would need pickling)")
    header = io.BytesIO()
    fields = np.lib.format.header_data_from_array_1_0(array)
    try:
        np.lib.format.write_array_header_1_0(header, fields)
    except ValueError:  # a header over 64 KiB needs format 2.0, as np.save would choose
        np.lib.format.write_array_header_2_0(header, fields)
    return header.getvalue(), raw_bytes(array)


def raw_bytes(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array of any fixed-size dtype, without a copy."""
    return array.reshape(-1).view(np.uint8).data


def from_npy(blob: bytes | bytearray | memoryview) -> np.ndarray:
    """A read-only array over ``blob`` itself: no copy of a dataset that may be 400 MB.

    Like ``np.load(..., allow_pickle=False)``, an object array is refused.
    """
    view = memoryview(blob)
    # Only the header is parsed through a stream: io.BytesIO would copy a whole bytearray.
    size_bytes = 2 if view[6:7] == b"\x01" else 4  # format 1.0: 2 bytes of length, else 4
    header_len = int.from_bytes(view[8 : 8 + size_bytes], "little")
    stream = io.BytesIO(bytes(view[: 8 + size_bytes + header_len]))
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise ValueError("object arrays cannot be loaded (they would need unpickling)")
    count = int(np.prod(shape, dtype=np.int64))
    flat = np.frombuffer(blob, dtype=dtype, count=count, offset=stream.tell())
    flat.flags.writeable = False  # over a bytearray it would be writable: datasets are not
    return flat.reshape(shape, order="F" if fortran_order else "C")


def as_bytes(raw: bytes | str) -> bytes:
    """redis-py types replies as bytes | str; this client never decodes, so they are bytes."""
    return raw if isinstance(raw, bytes) else raw.encode()
