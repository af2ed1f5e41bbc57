"""``.npz`` dataset files: arrays ``X`` (2-D), ``y`` (1-D, or 2-D: one column per target) and
optionally ``feature_names``, ``w`` (per-row sample weights) and ``target_names`` (a 2-D y's
column names).

Safety: the archive is opened with ``allow_pickle=False`` and nothing here ever unpickles. An
object array (numpy stores those as pickles) is refused by numpy itself when it is loaded;
that ValueError becomes a :class:`DatasetError`. Bytes that are not a zip archive never reach
``np.load`` at all, so a raw pickle upload is refused by its first bytes.

Every array's header (shape and dtype) is read before its data, so a too-large dataset — or a
small compressed file that would inflate to gigabytes — is refused before it is decompressed.
That holds for strings too: a '<U1000' ``y`` of 100,000 rows inflates to 400 MB from an archive
of a few hundred kB, so string arrays may take no more memory than X does in float32 (with a
floor of 1 MiB); their actual lengths are checked once they are loaded.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .dataset import EncodedTarget, ParsedDataset
from .errors import DatasetError, Loc, error, join_names, plural, quote
from .limits import IngestLimits, check_size
from .names import NameProblem, default_feature_names, find_name_problems, too_long
from .npz_members import check_dtype, check_string_bytes, decode_strings, header, load, reading
from .numeric import FLOAT32_RANGE, describe_nonfinite, first_beyond_float32, first_nonfinite
from .target_matrix import check_target_count, classify_target_matrix
from .targets import classify_target
from .weights import check_weights

_FILE: Loc = ["file"]
_ARRAYS = ("X", "y", "feature_names", "w", "target_names")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members; an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_X_KINDS = "biuf"  # bool, signed, unsigned, float
_Y_KINDS = "biufUS"
_WHAT_TO_SAVE = (
    "an .npz dataset holds X (2-D numbers), y (1-D targets, or 2-D: one column per target) "
    "and optionally feature_names (1-D strings), w (1-D sample weights) and target_names, "
    "e.g. np.savez(f, X=X, y=y)"
)


def parse_npz_dataset(data: bytes, *, limits: IngestLimits) -> ParsedDataset:
    """Parse an ``.npz`` upload. Raises :class:`DatasetError` (locs start with ``"file"``)."""
    _check_container(data)
    with reading(_FILE, "the file is not a readable .npz archive"):
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    if not isinstance(npz, np.lib.npyio.NpzFile):  # pragma: no cover - zip magic checked above
        raise DatasetError.at(_FILE, f"the file is not an .npz archive; {_WHAT_TO_SAVE}")
    with npz:
        return _parse_archive(npz, limits)


def _check_container(data: bytes) -> None:
    if data.startswith(_ZIP_MAGICS):
        return
    if data.startswith(_NPY_MAGIC):
        msg = f"the file is a single .npy array, not an .npz archive; {_WHAT_TO_SAVE}"
    elif not data:
        msg = "the file is empty"
    else:
        msg = f"the file is not an .npz archive (a zip written by numpy.savez); {_WHAT_TO_SAVE}"
    raise DatasetError.at(_FILE, msg)


def _parse_archive(npz: Any, limits: IngestLimits) -> ParsedDataset:
    present = list(npz.files)
    _check_members(present)

    x_shape, x_dtype = header(npz, "X")
    y_shape, y_dtype = header(npz, "y")
    if len(x_shape) != 2:
        hint = "; for one feature use X.reshape(-1, 1)" if len(x_shape) == 1 else ""
        raise DatasetError.at(
            [*_FILE, "X"], f"X must be 2-D (samples × features), got shape {x_shape}{hint}"
        )
    n_rows, n_features = x_shape
    if n_rows == 0:
        raise DatasetError.at([*_FILE, "X"], f"the dataset is empty: X has shape {x_shape}")
    if n_features == 0:
        raise DatasetError.at([*_FILE, "X"], f"X has no feature columns (shape {x_shape})")
    n_targets = _target_shape(y_shape, y_dtype, n_rows, limits)
    check_size(limits, n_rows, n_features, loc=_FILE, n_targets=n_targets)
    string_bytes = limits.max_string_bytes(n_rows, n_features)
    check_dtype("X", x_dtype, _X_KINDS, "real numbers (bool, int, uint or float)")
    check_dtype("y", y_dtype, _Y_KINDS, "numbers, booleans or strings")
    check_string_bytes("y", y_shape, y_dtype, string_bytes)
    names_meta = _names_header(npz, "feature_names", present, n_features, string_bytes)
    target_names_meta = _names_header(npz, "target_names", present, n_targets, string_bytes)
    w_dtype = _weights_header(npz, present, n_rows)

    X = _features(load(npz, "X", x_dtype))
    target = _target(load(npz, "y", y_dtype), limits)
    weights = None if w_dtype is None else _weights(load(npz, "w", w_dtype))
    feature_names = (
        default_feature_names(n_features)
        if names_meta is None
        else _names(load(npz, "feature_names", names_meta), "feature_names", limits)
    )
    target_names = (
        None
        if target_names_meta is None
        else _names(load(npz, "target_names", target_names_meta), "target_names", limits)
    )
    return ParsedDataset.of(X, target, feature_names, weights=weights, target_names=target_names)


def _target_shape(
    y_shape: tuple[int, ...], y_dtype: np.dtype[Any], n_rows: int, limits: IngestLimits
) -> int:
    """The number of target columns (1 for a 1-D y), from y's header."""
    loc: Loc = [*_FILE, "y"]
    if len(y_shape) not in (1, 2):
        raise DatasetError.at(
            loc, f"y must be 1-D (one target) or 2-D (one column per target), got shape {y_shape}"
        )
    if y_shape[0] != n_rows:
        raise DatasetError.at(
            loc,
            f"y has {plural(y_shape[0], 'value' if len(y_shape) == 1 else 'row')} but X has "
            f"{plural(n_rows, 'row')}",
        )
    n_targets = 1 if len(y_shape) == 1 else y_shape[1]
    if n_targets == 0:
        raise DatasetError.at(loc, f"y has no target columns (shape {y_shape})")
    if n_targets > 1 and y_dtype.kind in "USO":
        raise DatasetError.at(
            loc,
            f"a 2-D y holds numbers (one 0/1 column per label for multilabel), got {y_dtype}",
        )
    check_target_count(n_targets, limits, loc=loc)
    return n_targets


def _names_header(
    npz: Any, key: str, present: list[str], n_columns: int, string_bytes: int
) -> np.dtype[Any] | None:
    """The dtype of a names array (feature_names, target_names), checked from its header."""
    if key not in present:
        return None
    shape, dtype = header(npz, key)
    loc: Loc = [*_FILE, key]
    if key == "target_names" and n_columns == 1:
        raise DatasetError.at(
            loc, "target_names names the columns of a 2-D y; this y has one target"
        )
    if shape != (n_columns,):
        what = "column of X" if key == "feature_names" else "column of y"
        raise DatasetError.at(
            loc, f"{key} must be 1-D with {n_columns} names (one per {what}), got shape {shape}"
        )
    check_dtype(key, dtype, "US", "strings")
    check_string_bytes(key, shape, dtype, string_bytes)
    return dtype


def _weights_header(npz: Any, present: list[str], n_rows: int) -> np.dtype[Any] | None:
    if "w" not in present:
        return None
    shape, dtype = header(npz, "w")
    if shape != (n_rows,):
        raise DatasetError.at(
            [*_FILE, "w"], f"w must be 1-D with one weight per row ({n_rows}), got shape {shape}"
        )
    check_dtype("w", dtype, _X_KINDS, "numbers (sample weights)")
    return dtype


def _check_members(present: list[str]) -> None:
    problems = [
        error(
            [*_FILE, name],
            f"the archive has no array {quote(name)}; it holds: {join_names(present) or 'nothing'}"
            f" — {_WHAT_TO_SAVE}",
        )
        for name in ("X", "y")
        if name not in present
    ]
    problems += [
        error([*_FILE, name], f"unknown array {quote(name)}; {_WHAT_TO_SAVE}")
        for name in present
        if name not in _ARRAYS
    ]
    if problems:
        raise DatasetError(problems)


def _features(X: np.ndarray) -> np.ndarray:
    """X as it was saved (uint8 stays uint8, float64 stays float64), C-contiguous, once every
    cell is known to be finite and within float32's range (models train in float32)."""
    bad = first_nonfinite(X)
    if bad is not None:
        i, j = bad
        raise DatasetError.at([*_FILE, "X", i, j], f"X[{i}, {j}] is {describe_nonfinite(X[i, j])}")
    overflow = first_beyond_float32(X)
    if overflow is not None:
        i, j = overflow
        raise DatasetError.at(
            [*_FILE, "X", i, j], f"X[{i}, {j}] = {float(X[i, j])!r} is outside {FLOAT32_RANGE}"
        )
    return np.ascontiguousarray(X)


def _target(y: np.ndarray, limits: IngestLimits) -> EncodedTarget:
    if y.ndim == 2 and y.shape[1] == 1:  # one column: the ordinary one-target case
        y = y.ravel()
    if y.ndim == 2:

        def refuse_cell(i: int, j: int, problem: str) -> DatasetError:
            return DatasetError.at([*_FILE, "y", i, j], f"y[{i}, {j}]: {problem}")

        return classify_target_matrix(y, refuse=refuse_cell)
    y = decode_strings(y, "y")
    bad = first_nonfinite(y)
    if bad is not None:
        (i,) = bad
        raise DatasetError.at([*_FILE, "y", i], f"y[{i}] is {describe_nonfinite(y[i])}")

    def refuse(i: int | None, problem: str) -> DatasetError:
        if i is None:
            return DatasetError.at([*_FILE, "y"], f"y: {problem}")
        return DatasetError.at([*_FILE, "y", i], f"y[{i}]: {problem}")

    return classify_target(y, limits=limits, refuse=refuse)


def _weights(w: np.ndarray) -> np.ndarray:
    def refuse(i: int | None, problem: str) -> DatasetError:
        if i is None:
            return DatasetError.at([*_FILE, "w"], f"w: {problem}")
        return DatasetError.at([*_FILE, "w", i], f"w[{i}]: {problem}")

    return check_weights(w, refuse=refuse)


def _names(array: np.ndarray, key: str, limits: IngestLimits) -> list[str]:
    names: list[str] = decode_strings(array, key).tolist()
    max_chars = limits.max_name_chars
    problems = find_name_problems(names, max_chars)
    if problems:
        raise DatasetError(
            [
                error([*_FILE, key, p.index], _name_message(p, key, names, max_chars))
                for p in problems
            ]
        )
    return names


def _name_message(problem: NameProblem, key: str, names: list[str], max_chars: int) -> str:
    i = problem.index
    if problem.problem == "empty":
        return f"{key}[{i}] is empty"
    if problem.problem == "long":
        return f"{key}[{i}], {too_long(names[i], max_chars)}"
    return f"{key}[{i}] repeats {key}[{problem.first_index}]: {quote(names[i])}"
