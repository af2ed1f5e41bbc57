"""A JSON dataset's ``features`` read straight into an array, without a Python object per cell.

orjson turns a 10,000,000-cell matrix into as many Python floats (and numpy then reads them one
by one): about half of a JSON upload's time, plus their deallocation. Here the matrix's bytes
are cut out of the body, checked to be exactly JSON's grammar for an array of arrays of numbers
— byte by byte, with vectorized tests on the raw bytes — and parsed by numpy's C reader
(``np.loadtxt``, the CSV fast path's parser), which reads each number as a double and rounds
it to float32 as the slow path does. A matrix of integers only (no ".", "e" or "E" in it) is
read by numpy's integer reader instead, about 1.5× as fast, and kept in the smallest integer
dtype that holds it (numeric.narrow_parsed_integers): the values the float reader would give,
in the dtype the slow path gives integers (json_body._feature_matrix). The rest of the body is
parsed by orjson as before.

Anything unusual — whitespace other than ``", "``, a non-number, a ragged row, NaN, a value
beyond float32, a ``"features"`` that is not where a plain search finds it — returns None, and
the caller parses the whole body the slow way, which alone words the error messages.
"""

from __future__ import annotations

import io
import re

import numpy as np

from .numeric import narrow_features, narrow_parsed_integers

# Replaces the matrix in the body handed to orjson; anything but this string value afterwards
# means the search found something other than the top-level "features" (e.g. inside a string).
SENTINEL = b'"\\u0000features"'
SENTINEL_VALUE = "\x00features"
_KEY = re.compile(rb'"features"\s*:\s*\[\s*\[')
_END = re.compile(rb"\]\s*\]")
_NUMBER_BYTES = b"0123456789.-+eE"
_ALLOWED = _NUMBER_BYTES + b",[]"
# Bytes checked at a time (boolean temporaries of a few MB, whatever the body's size).
_CHUNK = 1 << 22


def split_features(body: bytes) -> tuple[bytes, np.ndarray] | None:
    """(the body with its features replaced by a sentinel, the features: float32, or an
    integer dtype for integer text), or None when the fast path cannot vouch for the result."""
    found = _KEY.search(body)
    if found is None:
        return None
    start = found.start() + len(b'"features"')
    start = body.index(b"[", start)
    end_match = _END.search(body, start)
    if end_match is None:
        return None
    end = end_match.end()
    span = body[start:end]
    if b" " in span:  # a one-byte search is far quicker than replace's search for ", "
        span = span.replace(b", ", b",")
    if span.translate(None, _ALLOWED):
        return None
    integers = _integer_text(span)
    # Integer text needs fewer rules (a "+" is never JSON there), checked on the rows below.
    if (b"+" in span or not _brackets(span)) if integers else not _json_numbers(span):
        return None
    lines = span[2:-2].replace(b"],[", b"\n")
    # An empty row inside is a blank line, which loadtxt skips: the row count below sees it.
    empty_row = lines.startswith(b"\n") or lines.endswith(b"\n")
    if not lines or empty_row or b"[" in lines or b"]" in lines:
        return None  # an empty row, deeper nesting, or numbers between rows
    if integers and _leading_zero(lines):
        return None
    X = _integers(lines) if integers else None
    if X is None:
        try:
            with np.errstate(over="ignore"):
                X = _loadtxt(lines, np.float32)
        except ValueError:
            return None  # ragged rows, or a token numpy cannot read
        if not np.isfinite(X).all():
            return None
        if integers:  # beyond int32: float32, or an integer dtype if float32 rounds them in
            X = narrow_features(X)
    if X.shape[0] != lines.count(b"\n") + 1:
        return None
    return body[:start] + SENTINEL + body[end:], np.ascontiguousarray(X)


def _loadtxt(lines: bytes, dtype: type) -> np.ndarray:
    return np.loadtxt(
        io.BytesIO(lines), delimiter=",", dtype=dtype, comments=None, quotechar=None, ndmin=2
    )


def _integer_text(span: bytes) -> bool:
    """Whether the numbers (already known to be JSON's) are all integers: no fraction, no
    exponent."""
    return b"." not in span and b"e" not in span and b"E" not in span


def _integers(lines: bytes) -> np.ndarray | None:
    """Integer text read by numpy's integer reader (about 1.5× as fast as its float reader),
    narrowed as stored; None when it cannot read it (a value beyond int32, a ragged row): the
    float reader decides."""
    try:
        X = _loadtxt(lines, np.int32)
    except (ValueError, OverflowError):
        return None
    return narrow_parsed_integers(X)


def _json_numbers(span: bytes) -> bool:
    """Whether ``span`` (only number bytes, commas and brackets) is ``[[n,...],...]`` where
    every n numpy's float reader accepts is also a JSON number. numpy refuses empty cells,
    misplaced signs and exponents, and two dots or exponents in one number, but takes "+1",
    ".5", "5." and "01", which JSON does not: those are looked for here, around each "+", "."
    and "0" (a chunk of bytes at a time, so the index arrays stay small).
    """
    if not _brackets(span):
        return False
    a = np.frombuffer(span, dtype=np.uint8)
    for lo in range(0, a.shape[0], _CHUNK):
        hi = min(lo + _CHUNK, a.shape[0])
        # The chunk with two bytes before it and one after (a rule looks that far).
        first = max(lo - 2, 0)
        window = a[first : hi + 1]
        if not _chunk_ok(window, lo - first, hi - first):
            return False
    return True


def _brackets(span: bytes) -> bool:
    return span.startswith(b"[[") and span.endswith(b"]]")


def _leading_zero(lines: bytes) -> bool:
    """Whether integer rows (digits, "-", "," and newlines only) hold a number JSON refuses
    and numpy's integer reader takes: one starting with 0 and another digit ("01", "-01").
    Numpy refuses the rest: empty cells, misplaced signs. Every byte there but a digit is
    below "0", so a number starts where the byte before is below "0"; a chunk at a time."""
    a = np.frombuffer(lines, dtype=np.uint8)
    zero, nine = ord("0"), ord("9")
    if a.shape[0] > 1 and a[0] == zero and a[1] >= zero:
        return True
    for lo in range(1, a.shape[0] - 1, _CHUNK):
        hi = min(lo + _CHUNK, a.shape[0] - 1)
        starts_with_zero = (a[lo:hi] == zero) & (a[lo - 1 : hi - 1] < zero)
        if (starts_with_zero & (a[lo + 1 : hi + 1] >= zero) & (a[lo + 1 : hi + 1] <= nine)).any():
            return True
    return False


def _is_digit(x: np.ndarray) -> np.ndarray:
    return (x >= ord("0")) & (x <= ord("9"))


def _chunk_ok(w: np.ndarray, lo: int, hi: int) -> bool:
    """The bytes ``w[lo:hi]`` (``w`` holds their neighbours too) break none of those rules."""

    def around(char: str) -> tuple[np.ndarray, np.ndarray]:
        at = np.flatnonzero(w[lo:hi] == ord(char)) + lo
        # A "+", "." or "0" is never the first or last byte of a valid span: clip, and the
        # bracket found there fails the rules below.
        before = w[np.maximum(at - 1, 0)]
        after = w[np.minimum(at + 1, w.shape[0] - 1)]
        return before, after

    before, _ = around("+")  # only in an exponent
    if not ((before == ord("e")) | (before == ord("E"))).all():
        return False
    before, after = around(".")  # between digits
    if not (_is_digit(before) & _is_digit(after)).all():
        return False
    at = np.flatnonzero(w[lo:hi] == ord("0")) + lo  # no number starts with 0 and a digit
    before, after = w[at - 1], w[np.minimum(at + 1, w.shape[0] - 1)]  # at ≥ 1: span starts "[["
    two_back = w[np.maximum(at - 2, 0)]
    signed = (before == ord("-")) & (two_back != ord("e")) & (two_back != ord("E"))
    starts = (before == ord(",")) | (before == ord("[")) | signed  # not an exponent's "-0"
    return not (starts & _is_digit(after)).any()
