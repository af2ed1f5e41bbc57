"""Vectorized checks shared by the parsers: finiteness and the float32 range."""

from __future__ import annotations

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_RANGE = "the float32 range (about ±3.4e38)"


def first_false(ok: np.ndarray) -> tuple[int, ...] | None:
    """Index (in C order) of the first False in a boolean array, or None if all are True."""
    if ok.all():
        return None
    flat = int(np.argmin(ok.ravel()))  # argmin of a bool array is the first False
    return tuple(int(i) for i in np.unravel_index(flat, ok.shape))


def first_nonfinite(a: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first NaN/±inf in ``a`` (integers and bools never have one)."""
    if a.dtype.kind not in "fc":
        return None
    return first_false(np.isfinite(a))


def to_float32(a: np.ndarray) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """``a`` as a C-contiguous float32 array, and the first cell that overflowed float32.

    ``a`` must already be finite: any non-finite value in the result is then an overflow
    (1e300 becomes inf in float32). Integers never overflow float32 (2**64 < 3.4e38).
    """
    if a.dtype.kind == "f" and a.dtype.itemsize > 4:
        with np.errstate(over="ignore"):
            out = np.ascontiguousarray(a, dtype=np.float32)
        return out, first_nonfinite(out)
    return np.ascontiguousarray(a, dtype=np.float32), None


def beyond_float32(values: np.ndarray, what: str) -> tuple[tuple[int, ...], str] | None:
    """The index of the first value of ``values`` (float64) that is not finite or not within
    float32's range, in which models train, and what is wrong with it (``what``: "the
    target", "a weight"); None when every value fits."""
    bad = first_false(np.abs(values) <= FLOAT32_MAX)  # NaN fails this too
    if bad is None:
        return None
    value = float(values[bad])
    if not np.isfinite(value):
        return bad, f"{describe_nonfinite(value)} is not allowed in {what}"
    return bad, f"{value!r} is outside {FLOAT32_RANGE}, in which models are trained"


def describe_nonfinite(value: float) -> str:
    """'NaN', 'inf' or '-inf'."""
    if np.isnan(value):
        return "NaN"
    return "inf" if value > 0 else "-inf"
