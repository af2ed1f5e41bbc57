"""``.npz`` dataset files: arrays ``X`` (2-D), ``y`` (1-D) and optionally ``feature_names``.

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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np

from .dataset import EncodedTarget, ParsedDataset
from .errors import STATUS_TOO_LARGE, DatasetError, Loc, error, join_names, plural, quote
from .limits import IngestLimits, check_size
from .names import NameProblem, default_feature_names, find_name_problems, too_long
from .numeric import FLOAT32_RANGE, describe_nonfinite, first_nonfinite, to_float32
from .targets import classify_target

_FILE: Loc = ["file"]
_ARRAYS = ("X", "y", "feature_names")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members; an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_X_KINDS = "biuf"  # bool, signed, unsigned, float
_Y_KINDS = "biufUS"
_WHAT_TO_SAVE = (
    "an .npz dataset holds X (2-D numbers), y (1-D targets) and optionally feature_names "
    "(1-D strings), e.g. np.savez(f, X=X, y=y)"
)


def parse_npz_dataset(data: bytes, *, limits: IngestLimits) -> ParsedDataset:
    """Parse an ``.npz`` upload. Raises :class:`DatasetError` (locs start with ``"file"``)."""
    _check_container(data)
    with _reading(_FILE, "the file is not a readable .npz archive"):
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


@contextmanager
def _reading(loc: Loc, what: str) -> Iterator[None]:
    """Turn any failure to read untrusted bytes into a DatasetError saying what failed.

    Deliberately broad: zipfile, zlib and numpy's format reader raise a zoo of types
    (BadZipFile, EOFError, ValueError, OSError, NotImplementedError, ...) for damaged input,
    and every one of them is a problem with the upload, not with the service.
    """
    try:
        yield
    except DatasetError:
        raise
    except Exception as exc:
        raise DatasetError.at(loc, f"{what} ({type(exc).__name__}: {exc})"[:300]) from None


def _parse_archive(npz: Any, limits: IngestLimits) -> ParsedDataset:
    present = list(npz.files)
    _check_members(present)

    x_shape, x_dtype = _header(npz, "X")
    y_shape, y_dtype = _header(npz, "y")
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
    if len(y_shape) != 1:
        hint = "; use y.ravel()" if len(y_shape) == 2 and 1 in y_shape else ""
        raise DatasetError.at([*_FILE, "y"], f"y must be 1-D, got shape {y_shape}{hint}")
    if y_shape[0] != n_rows:
        raise DatasetError.at(
            [*_FILE, "y"], f"y has {plural(y_shape[0], 'value')} but X has {plural(n_rows, 'row')}"
        )
    check_size(limits, n_rows, n_features, loc=_FILE)
    string_bytes = limits.max_string_bytes(n_rows, n_features)
    _check_dtype("X", x_dtype, _X_KINDS, "real numbers (bool, int, uint or float)")
    _check_dtype("y", y_dtype, _Y_KINDS, "numbers, booleans or strings")
    _check_string_bytes("y", y_shape, y_dtype, string_bytes)

    names_meta = _header(npz, "feature_names") if "feature_names" in present else None
    if names_meta is not None:
        names_shape, names_dtype = names_meta
        if names_shape != (n_features,):
            raise DatasetError.at(
                [*_FILE, "feature_names"],
                f"feature_names must be 1-D with {n_features} names (one per column of X), "
                f"got shape {names_shape}",
            )
        _check_dtype("feature_names", names_dtype, "US", "strings")
        _check_string_bytes("feature_names", names_shape, names_dtype, string_bytes)

    X = _features(_load(npz, "X", x_dtype))
    target = _target(_load(npz, "y", y_dtype), limits)
    feature_names = (
        default_feature_names(n_features)
        if names_meta is None
        else _feature_names(_load(npz, "feature_names", names_meta[1]), limits.max_name_chars)
    )
    return ParsedDataset.of(X, target, feature_names)


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


def _member(npz: Any, key: str) -> str:
    # NpzFile's own lookup order: the exact member name, then the name plus ".npy".
    names = npz.zip.namelist()
    return key if key in names else f"{key}.npy"


def _header(npz: Any, key: str) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Shape and dtype of an array, read from its .npy header without touching its data."""
    with (
        _reading([*_FILE, key], f"array {key!r} is damaged or not a .npy array"),
        npz.zip.open(_member(npz, key)) as f,
    ):
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            # 3.0 exists only for structured dtypes with non-latin-1 field names, never valid here.
            raise DatasetError.at(
                [*_FILE, key],
                f"array {key!r} uses .npy format {version[0]}.{version[1]}, which only "
                "structured arrays need; save a plain numeric or string array",
            )
    return tuple(int(n) for n in shape), np.dtype(dtype)


def _check_dtype(key: str, dtype: np.dtype[Any], kinds: str, wanted: str) -> None:
    if dtype.kind == "O":
        return  # loading refuses it under allow_pickle=False; see _load
    if dtype.kind not in kinds:
        raise DatasetError.at([*_FILE, key], f"{key} has dtype {dtype}; it must hold {wanted}")


def _check_string_bytes(key: str, shape: tuple[int, ...], dtype: np.dtype[Any], limit: int) -> None:
    """Refuse, from the header, a string array whose decoded form is over ``limit`` bytes.

    Every string of a numpy array takes the width of the longest; bytes ('S') count as what
    they become once decoded, 4 bytes a character.
    """
    if dtype.kind not in "US":
        return
    chars = dtype.itemsize // 4 if dtype.kind == "U" else dtype.itemsize
    decoded = 4 * chars * int(np.prod(shape, dtype=np.int64))
    if decoded > limit:
        raise DatasetError.at(
            [*_FILE, key],
            f"{key} holds strings {chars:,} characters wide, {decoded:,} bytes once loaded, "
            f"over the limit of {limit:,} bytes for this dataset's size; save it with shorter "
            f"strings{', or as integer class codes' if key == 'y' else ''}",
            status=STATUS_TOO_LARGE,
        )


def _load(npz: Any, key: str, dtype: np.dtype[Any]) -> np.ndarray:
    loc: Loc = [*_FILE, key]
    if dtype.kind == "O":
        # The refusal is numpy's: under allow_pickle=False it raises instead of unpickling.
        with suppress(ValueError):
            npz[key]
        raise DatasetError.at(
            loc,
            f"{key} is an array of Python objects (dtype=object), which numpy stores as a pickle; "
            "pickles are never loaded. Save a plain array instead, e.g. "
            f"{key}.astype(str) or {key}.astype(float)",
        )
    with _reading(loc, f"array {key!r} is damaged"):
        array = npz[key]
    if not isinstance(array, np.ndarray):  # pragma: no cover - the header was a valid .npy one
        raise DatasetError.at(loc, f"{key} is not a numpy array")
    return array


def _features(X: np.ndarray) -> np.ndarray:
    bad = first_nonfinite(X)
    if bad is not None:
        i, j = bad
        raise DatasetError.at([*_FILE, "X", i, j], f"X[{i}, {j}] is {describe_nonfinite(X[i, j])}")
    X32, overflow = to_float32(X)
    if overflow is not None:
        i, j = overflow
        raise DatasetError.at(
            [*_FILE, "X", i, j], f"X[{i}, {j}] = {float(X[i, j])!r} is outside {FLOAT32_RANGE}"
        )
    return X32


def _decode_strings(array: np.ndarray, key: str) -> np.ndarray:
    """A bytes ('S') array as unicode; other arrays unchanged."""
    if array.dtype.kind != "S":
        return array
    try:
        return np.char.decode(array, "utf-8")
    except UnicodeDecodeError:
        pass
    # Only now, on the error path, look for the culprit value by value.
    for i, raw in enumerate(array.tolist()):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DatasetError.at(
                [*_FILE, key, i], f"{key}[{i}] is not valid UTF-8 text: {raw[:40]!r}"
            ) from None
    raise AssertionError("decode failed but every value decodes")  # pragma: no cover


def _target(y: np.ndarray, limits: IngestLimits) -> EncodedTarget:
    y = _decode_strings(y, "y")
    bad = first_nonfinite(y)
    if bad is not None:
        (i,) = bad
        raise DatasetError.at([*_FILE, "y", i], f"y[{i}] is {describe_nonfinite(y[i])}")

    def refuse(i: int | None, problem: str) -> DatasetError:
        if i is None:
            return DatasetError.at([*_FILE, "y"], f"y: {problem}")
        return DatasetError.at([*_FILE, "y", i], f"y[{i}]: {problem}")

    return classify_target(y, limits=limits, refuse=refuse)


def _feature_names(array: np.ndarray, max_chars: int) -> list[str]:
    names: list[str] = _decode_strings(array, "feature_names").tolist()
    problems = find_name_problems(names, max_chars)
    if problems:
        raise DatasetError(
            [
                error([*_FILE, "feature_names", p.index], _name_message(p, names, max_chars))
                for p in problems
            ]
        )
    return names


def _name_message(problem: NameProblem, names: list[str], max_chars: int) -> str:
    i = problem.index
    if problem.problem == "empty":
        return f"feature_names[{i}] is empty"
    if problem.problem == "long":
        return f"feature_names[{i}], {too_long(names[i], max_chars)}"
    return f"feature_names[{i}] repeats feature_names[{problem.first_index}]: {quote(names[i])}"
