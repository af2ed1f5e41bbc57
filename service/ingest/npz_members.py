"""Reading the members of an uploaded ``.npz`` one by one: the ``.npy`` header of each before
its data, and the data only under ``allow_pickle=False``.

Every failure to read untrusted bytes becomes a :class:`DatasetError` naming the array.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np

from .errors import STATUS_TOO_LARGE, DatasetError, Loc

_FILE: Loc = ["file"]


@contextmanager
def reading(loc: Loc, what: str) -> Iterator[None]:
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


def _member(npz: Any, key: str) -> str:
    # NpzFile's own lookup order: the exact member name, then the name plus ".npy".
    names = npz.zip.namelist()
    return key if key in names else f"{key}.npy"


def header(npz: Any, key: str) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Shape and dtype of an array, read from its .npy header without touching its data."""
    with (
        reading([*_FILE, key], f"array {key!r} is damaged or not a .npy array"),
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


def check_dtype(key: str, dtype: np.dtype[Any], kinds: str, wanted: str) -> None:
    if dtype.kind == "O":
        return  # loading refuses it under allow_pickle=False; see load
    if dtype.kind not in kinds:
        raise DatasetError.at([*_FILE, key], f"{key} has dtype {dtype}; it must hold {wanted}")


def check_string_bytes(key: str, shape: tuple[int, ...], dtype: np.dtype[Any], limit: int) -> None:
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


def load(npz: Any, key: str, dtype: np.dtype[Any]) -> np.ndarray:
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
    with reading(loc, f"array {key!r} is damaged"):
        array = npz[key]
    if not isinstance(array, np.ndarray):  # pragma: no cover - the header was a valid .npy one
        raise DatasetError.at(loc, f"{key} is not a numpy array")
    return array


def decode_strings(array: np.ndarray, key: str) -> np.ndarray:
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
