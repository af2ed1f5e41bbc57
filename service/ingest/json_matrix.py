"""A JSON dataset's ``features`` read straight into an array, without a Python object per cell.

orjson turns a 10,000,000-cell matrix into as many Python floats (and numpy then reads them one
by one): about half of a JSON upload's time, plus their deallocation. Here the matrix's bytes
are cut out of the body, checked to be exactly JSON's grammar for an array of arrays of numbers
— byte by byte, with vectorized tests on the raw bytes — and parsed by numpy's C reader
(``np.loadtxt``, the CSV fast path's parser), which reads each number as a double and rounds
it to float32 as the slow path does. The rest of the body is parsed by orjson as before.

Anything unusual — whitespace other than ``", "``, a non-number, a ragged row, NaN, a value
beyond float32, a ``"features"`` that is not where a plain search finds it — returns None, and
the caller parses the whole body the slow way, which alone words the error messages.
"""

from __future__ import annotations

import io
import re

import numpy as np

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
    """(the body with its features replaced by a sentinel, the features as float32), or None
    when the fast path cannot vouch for the result."""
    found = _KEY.search(body)
    if found is None:
        return None
    start = found.start() + len(b'"features"')
    start = body.index(b"[", start)
    end_match = _END.search(body, start)
    if end_match is None:
        return None
    end = end_match.end()
    span = body[start:end].replace(b", ", b",")
    if span.translate(None, _ALLOWED) or not _json_numbers(span):
        return None
    lines = span[2:-2].replace(b"],[", b"\n")
    empty_row = lines.startswith(b"\n") or lines.endswith(b"\n") or b"\n\n" in lines
    if not lines or empty_row or b"[" in lines or b"]" in lines:
        return None  # an empty row, deeper nesting, or numbers between rows
    try:
        with np.errstate(over="ignore"):
            X = np.loadtxt(
                io.BytesIO(lines),
                delimiter=",",
                dtype=np.float32,
                comments=None,
                quotechar=None,
                ndmin=2,
            )
    except ValueError:
        return None  # ragged rows, or a token numpy cannot read
    if X.shape[0] != lines.count(b"\n") + 1 or not np.isfinite(X).all():
        return None
    return body[:start] + SENTINEL + body[end:], np.ascontiguousarray(X)


def _json_numbers(span: bytes) -> bool:
    """Whether ``span`` (only number bytes, commas and brackets) is ``[[n,...],...]`` where
    every n numpy's float reader accepts is also a JSON number. numpy refuses empty cells,
    misplaced signs and exponents, and two dots or exponents in one number, but takes "+1",
    ".5", "5." and "01", which JSON does not: those are looked for here, around each "+", "."
    and "0" (a chunk of bytes at a time, so the index arrays stay small).
    """
    if not (span.startswith(b"[[") and span.endswith(b"]]")):
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
