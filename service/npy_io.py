"""Predictions as binary arrays: a request body that is one `.npy` array, and answers as `.npy`.

`application/x-npy` skips JSON entirely: a 10,000 × 64 float32 batch is 2.5 MB that numpy
reads in place, where the same rows as JSON are ~7 MB of text parsed into Python floats. The
header (shape and dtype) is checked before the data is touched, so a request for more rows
than the limit is refused at its first bytes; nothing is ever unpickled.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from service.errors import ApiError, invalid
from service.prediction import Outputs, too_many_rows

NPY_MEDIA_TYPE = "application/x-npy"
_MAGIC = b"\x93NUMPY"
# bool, signed, unsigned, float: converted to float32 as the model reads them.
_NUMERIC_KINDS = "biuf"


def _header(body: bytes) -> tuple[tuple[int, ...], bool, np.dtype[Any], int]:
    stream = io.BytesIO(body)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy format {version[0]}.{version[1]}")
    except ValueError as error:
        raise invalid(["body"], f"not a readable .npy array ({error})"[:300]) from None
    return tuple(int(n) for n in shape), bool(fortran), np.dtype(dtype), stream.tell()


def parse_npy_rows(body: bytes, n_features: int, max_rows: int) -> np.ndarray:
    """One 2-D numeric array of ``n_features`` columns, as float32; 413 over ``max_rows``."""
    if not body.startswith(_MAGIC):
        raise invalid(["body"], "an application/x-npy body must be one array saved by np.save")
    shape, fortran, dtype, offset = _header(body)
    if len(shape) != 2:
        hint = "; for one row use X.reshape(1, -1)" if len(shape) == 1 else ""
        raise invalid(["body"], f"expected a 2-D array (rows × features), got shape {shape}{hint}")
    rows, columns = shape
    if rows > max_rows:
        raise too_many_rows(rows, max_rows)
    if rows == 0:
        raise invalid(["body"], "the array has no rows")
    if columns != n_features:
        raise invalid(
            ["body"], f"the array has {columns} columns; this model expects {n_features} features"
        )
    if dtype.hasobject or dtype.kind not in _NUMERIC_KINDS:
        raise invalid(["body"], f"the array's dtype is {dtype}; send numbers (e.g. float32)")
    expected = rows * columns * dtype.itemsize
    if len(body) - offset != expected:
        raise invalid(
            ["body"],
            f"the array's header promises {expected:,} bytes of data, the body holds "
            f"{len(body) - offset:,}",
        )
    data = np.frombuffer(body, dtype=dtype, count=rows * columns, offset=offset)
    matrix = data.reshape(shape, order="F" if fortran else "C")
    with np.errstate(over="ignore"):  # overflow to inf is refused just below
        X = np.ascontiguousarray(matrix, dtype=np.float32)
    if not np.isfinite(X).all():
        row, column = np.argwhere(~np.isfinite(X))[0]
        raise invalid(["body", int(row), int(column)], "not a finite float32 number")
    return X


def npy_payload(outputs: Outputs, what: str) -> bytes:
    """``what``: "predictions" (labels or values) or "probabilities" (classifiers)."""
    if what == "probabilities":
        if outputs.probabilities is None:
            raise ApiError(
                422,
                "query.output: probabilities exist for classifiers only; this model is a "
                "regressor",
                errors=[{"loc": ["query", "output"], "msg": "not a classifier"}],
            )
        array = outputs.probabilities.astype(np.float32)
    else:
        array = np.asarray(outputs.predictions)
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()
