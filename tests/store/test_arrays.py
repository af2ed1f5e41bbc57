"""Arrays stored as .npy come back as read-only views, and object arrays are refused."""

from __future__ import annotations

import io

import numpy as np
import pytest

from store.arrays import from_npy, to_npy_parts


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.float32).reshape(3, 4),
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        np.array(["a", "bc"]),
        np.array([True, False]),
        np.arange(3, dtype=">i4"),
        np.zeros((0, 3)),
    ],
)
def test_round_trip(array: np.ndarray) -> None:
    head, data = to_npy_parts(array)
    saved = io.BytesIO()
    np.save(saved, np.ascontiguousarray(array), allow_pickle=False)
    assert head + bytes(data) == saved.getvalue()  # byte for byte what np.save writes
    again = from_npy(head + bytes(data))
    assert again.dtype == array.dtype and again.shape == array.shape
    assert np.array_equal(again, array)
    assert not again.flags.writeable


def test_object_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match="pickling"):
        to_npy_parts(np.array([{"a": 1}], dtype=object))
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="unpickling"):
        from_npy(buffer.getvalue())
