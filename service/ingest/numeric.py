"""Vectorized checks shared by the parsers: finiteness, the float32 range, and the smallest
dtype that holds integer features exactly."""

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


# Integer features are stored in the smallest of these that holds their range. float32 holds
# every integer up to 2**24 exactly, so within ±2**24 an integer dtype keeps exactly the values
# float32 would, and the engine's widening per batch (engine/feature_rows.py) is exact.
_INTEGER_RANGES = [
    (np.dtype(t), int(np.iinfo(t).min), int(np.iinfo(t).max))
    for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32)
]
INTEGER_DTYPES = tuple(dtype for dtype, _, _ in _INTEGER_RANGES)
EXACT_IN_FLOAT32 = 2**24


def smallest_integer_dtype(lo: int, hi: int) -> np.dtype | None:
    """The first of INTEGER_DTYPES holding ``lo`` … ``hi``, when both are within ±2**24."""
    if lo < -EXACT_IN_FLOAT32 or hi > EXACT_IN_FLOAT32:
        return None
    for dtype, low, high in _INTEGER_RANGES:
        if low <= lo and hi <= high:
            return dtype
    return None  # pragma: no cover - int32 holds ±2**24


def narrow_parsed_integers(X: np.ndarray) -> np.ndarray:
    """Features parsed from integer text (int32: numpy's integer reader) as stored: in the
    smallest integer dtype within ±2**24, else as :func:`narrow_features` stores their float32
    values. The int32 → float32 cast gives what parsing the same text as a double and rounding
    that to float32 does: the text and int32 are both exact, so both round the same integer
    once, to nearest."""
    if X.size == 0:
        return X.astype(np.float32)
    dtype = smallest_integer_dtype(int(X.min()), int(X.max()))
    if dtype is not None:
        return X.astype(dtype, copy=False)
    return narrow_features(X.astype(np.float32))


def narrow_features(X: np.ndarray) -> np.ndarray:
    """Features written as integers (no ".", "e" or "E"), read as float32, as stored: in the
    smallest integer dtype when every value is within ±2**24, else unchanged. The rule reads
    the float32 values every parser produces alike, so the stored dtype never depends on which
    parser read them; 2**24 + 1, which float32 rounds to 2**24, is stored as 2**24, the value
    float32 storage holds. Integer text gives integral values; they are checked anyway, in
    row chunks, stopping at the first chunk with a fraction."""
    if X.size == 0 or X.dtype != np.float32:
        return X
    lo, hi = np.inf, -np.inf
    step = max(1, CHECK_CELLS // max(1, X.shape[1]))
    buf = np.empty((min(step, X.shape[0]), X.shape[1]), np.float32)
    for start in range(0, X.shape[0], step):
        chunk = X[start : start + step]
        whole = np.trunc(chunk, out=buf[: chunk.shape[0]])
        if not np.array_equal(whole, chunk):
            return X
        lo, hi = min(lo, float(chunk.min())), max(hi, float(chunk.max()))
    dtype = smallest_integer_dtype(int(lo), int(hi))
    return X if dtype is None else X.astype(dtype)
