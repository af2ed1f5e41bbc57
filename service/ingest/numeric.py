"""Vectorized checks shared by the parsers: finiteness and the float32 range."""

from __future__ import annotations

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_RANGE = "the float32 range (about ±3.4e38)"
# Cells checked at a time: bounds the temporaries of a check over a large matrix (1 MB each).
CHECK_CELLS = 1 << 20


def first_false(ok: np.ndarray) -> tuple[int, ...] | None:
    """Index (in C order) of the first False in a boolean array, or None if all are True."""
    if ok.all():
        return None
    flat = int(np.argmin(ok.ravel()))  # argmin of a bool array is the first False
    return tuple(int(i) for i in np.unravel_index(flat, ok.shape))


def first_nonfinite(a: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first NaN/±inf in ``a`` (integers and bools never have one), checked in
    row chunks so that a large matrix costs no full-size temporary."""
    if a.dtype.kind not in "fc":
        return None
    if a.ndim < 2:
        return first_false(np.isfinite(a))
    step = max(1, CHECK_CELLS // max(1, int(np.prod(a.shape[1:], dtype=np.int64))))
    for start in range(0, a.shape[0], step):
        bad = first_false(np.isfinite(a[start : start + step]))
        if bad is not None:
            return (bad[0] + start, *bad[1:])
    return None


def first_beyond_float32(a: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first cell of a finite ``a`` outside float32's range, in which models
    train (only float64 and wider can hold one), checked in row chunks: no float32 copy."""
    if a.dtype.kind != "f" or a.dtype.itemsize <= 4:
        return None
    step = max(1, CHECK_CELLS // max(1, int(np.prod(a.shape[1:], dtype=np.int64))))
    for start in range(0, a.shape[0], step):
        # What float32 rounds to inf, as a float32 copy would (FLOAT32_MAX plus less than
        # half a unit in the last place still rounds to FLOAT32_MAX).
        with np.errstate(over="ignore"):
            bad = first_false(np.isfinite(a[start : start + step].astype(np.float32)))
        if bad is not None:
            return (bad[0] + start, *bad[1:])
    return None


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
