"""Targets as they are stored: class codes plus a class table, or float64 quantities.

A categorical target is kept as the index of each row's class in the sorted table of distinct
labels, in the smallest unsigned dtype that holds the indices. Keeping the labels themselves
would give every row the width of the longest one — 100,000 rows and one 1,000-character
label make 400 MB from a 1 MB upload — so label lists (JSON, CSV) are encoded through a dict
and never become a '<U…' array at all; an .npz ``y`` already is one, bounded before it is
inflated (see npz_file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .dataset import EncodedTarget
from .errors import DatasetError, quote
from .limits import IngestLimits
from .numeric import beyond_float32

#: Integer targets with at most this many distinct values are classes; more is a quantity.
MAX_CATEGORICAL_CLASSES = 100

# Floats at or beyond ±2**63 cannot be int64; float(2**63) itself is already out of range.
_INT64_BOUND = float(2**63)

#: Builds the error for a problem at a row (0-based), or with the target as a whole (None).
RowError = Callable[[int | None, str], DatasetError]


def _at_y(row: int | None, problem: str) -> DatasetError:
    return DatasetError.at(["y"] if row is None else ["y", row], problem)


def code_dtype(n_classes: int) -> np.dtype[Any]:
    """The smallest unsigned dtype that holds every index into ``n_classes`` classes."""
    return np.min_scalar_type(max(n_classes - 1, 0))


def classify_target(
    y: np.ndarray, *, limits: IngestLimits, refuse: RowError = _at_y
) -> EncodedTarget:
    """Encode a 1-D array of targets and decide its kind.

    * bool and numpy unicode (``<U…``) → categorical (see :func:`encode_labels`);
    * integers, and floats that are all integral (1.0, 2.0), with at most
      :data:`MAX_CATEGORICAL_CLASSES` distinct values → categorical, the classes as ints;
    * anything else numeric → float64, continuous; a value beyond float32 is refused, since
      models train in float32.

    Bytes (``S``) must be decoded by the caller, and other dtypes (object, complex, ...) are a
    TypeError: rejecting them with a message a person can act on is the parsers' job.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    kind = y.dtype.kind
    if kind in "bU":
        return encode_labels(y, limits=limits, refuse=refuse)
    if kind in "iu":
        as_int = _ints_as_int64(y)
    elif kind == "f":
        as_int = _integral_floats_as_int64(y)
    else:
        raise TypeError(f"unsupported target dtype {y.dtype}")
    if as_int is not None:
        table, codes = np.unique(as_int, return_inverse=True)
        if table.size <= MAX_CATEGORICAL_CLASSES:
            return _categorical(codes, table.tolist())
    values = y.astype(np.float64)
    bad = beyond_float32(values, "the target")
    if bad is not None:
        (row,), problem = bad
        raise refuse(row, problem)
    return EncodedTarget(values, "continuous", None)


def encode_labels(
    labels: Sequence[str] | Sequence[bool] | np.ndarray,
    *,
    limits: IngestLimits,
    refuse: RowError = _at_y,
) -> EncodedTarget:
    """Class codes and the sorted class table of string or boolean labels.

    A list is encoded through a dict, so no array of labels is ever built; an array (an .npz
    ``y``, already in memory) through ``np.unique``. Both sort the classes the same way: by
    code point, as numpy sorts strings. Refused: more than ``limits.max_classes`` classes, a
    label over ``limits.max_label_chars`` characters, a label holding NUL (numpy drops trailing
    NULs, so "a" and "a\\0" would become one class in the model).
    """
    if isinstance(labels, np.ndarray):
        table, codes = np.unique(labels, return_inverse=True)
        _check_count(table.size, limits, refuse)
        classes: list[Any] = table.tolist()
    else:
        classes, codes = _encode_list(labels, limits, refuse)
    _check_labels(classes, codes, limits, refuse)
    return _categorical(codes, classes)


def _encode_list(
    labels: Sequence[str] | Sequence[bool], limits: IngestLimits, refuse: RowError
) -> tuple[list[Any], np.ndarray]:
    index: dict[Any, int] = {}
    # Codes in order of first appearance; len(index) is read before setdefault adds a label.
    first_seen = np.fromiter(
        (index.setdefault(label, len(index)) for label in labels), dtype=np.intp, count=len(labels)
    )
    _check_count(len(index), limits, refuse)
    classes = sorted(index)
    rank = np.empty(len(classes), dtype=np.intp)
    rank[[index[label] for label in classes]] = np.arange(len(classes))
    return classes, rank[first_seen]


def _check_count(n_classes: int, limits: IngestLimits, refuse: RowError) -> None:
    if n_classes > limits.max_classes:
        raise refuse(
            None,
            f"the target has {n_classes:,} distinct labels, over the limit of "
            f"{limits.max_classes:,} classes",
        )


def _check_labels(
    classes: list[Any], codes: np.ndarray, limits: IngestLimits, refuse: RowError
) -> None:
    """Length and NUL checks on the distinct labels only; the row named is the first one
    holding a refused label."""
    strings = [(k, c) for k, c in enumerate(classes) if isinstance(c, str)]
    long = [k for k, c in strings if len(c) > limits.max_label_chars]
    if long:
        row = _first_row(codes, long)
        label = classes[int(codes[row])]
        raise refuse(
            row,
            f"the label {quote(label)} has {len(label):,} characters; at most "
            f"{limits.max_label_chars:,} are allowed",
        )
    with_nul = [k for k, c in strings if "\x00" in c]
    if with_nul:
        row = _first_row(codes, with_nul)
        raise refuse(
            row,
            f"the label {quote(classes[int(codes[row])])} holds a NUL character (\\u0000), "
            "which labels may not",
        )


def _first_row(codes: np.ndarray, classes: list[int]) -> int:
    return int(np.argmax(np.isin(codes, classes)))


def _categorical(codes: np.ndarray, classes: list[Any]) -> EncodedTarget:
    codes = codes.reshape(-1).astype(code_dtype(len(classes)))
    return EncodedTarget(codes, "categorical", classes)


def _ints_as_int64(y: np.ndarray) -> np.ndarray | None:
    # uint64 values above int64's range have no int64 form; treat them as a quantity.
    if y.dtype == np.uint64 and y.size and int(y.max()) > np.iinfo(np.int64).max:
        return None
    return y.astype(np.int64)


def _integral_floats_as_int64(y: np.ndarray) -> np.ndarray | None:
    """``y`` as int64 when every value is a finite whole number within int64's range."""
    if not y.size:
        return y.astype(np.int64)
    if not np.isfinite(y).all():
        return None
    if not (np.abs(y) < _INT64_BOUND).all() or not (y == np.trunc(y)).all():
        return None
    return y.astype(np.int64)
