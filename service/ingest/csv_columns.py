"""The non-feature columns of a CSV upload, read from their cells: the target (labels or
numbers), the columns of a multi-column target (numbers), the sample weights (numbers).

A one-column target is read as integers if every cell is one, else as floats if every cell is
one, else as strings (stripped of surrounding spaces): "true"/"false" stay strings, and "nan"
is an error in a numeric column but just a label among strings. Labels are encoded as class
codes as they are read (see targets), never as a string array. Empty cells are errors.
"""

from __future__ import annotations

import numpy as np

from .csv_layout import Layout
from .dataset import EncodedTarget
from .errors import DatasetError, quote
from .limits import IngestLimits
from .numeric import first_nonfinite
from .target_matrix import check_target_count, classify_target_matrix
from .targets import RowError, classify_target, encode_labels
from .weights import check_weights

_NONFINITE_SPELLINGS = ("nan", "inf")  # also covers "infinity", any case and sign


def spells_nonfinite(cell: str) -> bool:
    return cell.strip().lstrip("+-").lower().startswith(_NONFINITE_SPELLINGS)


def _refusal(layout: Layout, row_lines: list[int], column: int) -> RowError:
    """Errors at a row (0-based) of ``column``, or with the column as a whole (None)."""

    def refuse(k: int | None, problem: str) -> DatasetError:
        if k is None:
            return layout.column_error(column, problem)
        return layout.cell_error(k + 1, row_lines[k], column, problem)

    return refuse


def read_target(
    extra: dict[int, list[str]], row_lines: list[int], layout: Layout, limits: IngestLimits
) -> EncodedTarget:
    """The target: one column (labels or numbers), or several (a matrix of numbers)."""
    if len(layout.targets) == 1:
        return _one_target(extra[layout.target], row_lines, layout, limits)
    check_target_count(len(layout.targets), limits, loc=["query", "target"])
    columns = [_numbers(extra[t], _refusal(layout, row_lines, t), "target") for t in layout.targets]

    def refuse(i: int, j: int, problem: str) -> DatasetError:
        return layout.cell_error(i + 1, row_lines[i], layout.targets[j], problem)

    return classify_target_matrix(np.stack(columns, axis=1), refuse=refuse)


def read_weights(
    extra: dict[int, list[str]], row_lines: list[int], layout: Layout
) -> np.ndarray | None:
    if layout.weights is None:
        return None
    refuse = _refusal(layout, row_lines, layout.weights)
    return check_weights(_numbers(extra[layout.weights], refuse, "weight"), refuse=refuse)


def _numbers(cells: list[str], refuse: RowError, what: str) -> np.ndarray:
    """A column that must hold numbers, as float64; the first bad cell named."""
    try:
        values = np.array(list(map(float, cells)), dtype=np.float64)
    except ValueError:
        for k, cell in enumerate(cells):
            if not cell.strip():
                raise refuse(k, f"missing {what} value") from None
            try:
                float(cell)
            except ValueError:
                raise refuse(k, f"{quote(cell.strip())} is not a number") from None
        raise AssertionError(
            "no bad cell in a column reported as bad"
        ) from None  # pragma: no cover
    bad = first_nonfinite(values)
    if bad is not None:
        (k,) = bad
        raise refuse(k, _nonfinite(cells[k].strip(), ""))
    return values


def _nonfinite(cell: str, where: str) -> str:
    """Why a cell that parses as a float is refused: it spells NaN/inf, or overflows."""
    if spells_nonfinite(cell):
        return f"NaN/inf not allowed{where} ({quote(cell)})"
    return f"{quote(cell)} is too large for a number"


def _one_target(
    cells: list[str], row_lines: list[int], layout: Layout, limits: IngestLimits
) -> EncodedTarget:
    """The target column read as int64, else float64, else labels (see the module docstring),
    and encoded."""
    refuse = _refusal(layout, row_lines, layout.target)
    values = [c.strip() for c in cells]
    for k, value in enumerate(values):
        if not value:
            raise refuse(k, "missing target value")
    try:
        ints = np.array(list(map(int, values)), dtype=np.int64)
    except (ValueError, OverflowError):
        pass  # not all integers, or beyond int64: try floats
    else:
        return classify_target(ints, limits=limits, refuse=refuse)
    try:
        floats = np.array(list(map(float, values)), dtype=np.float64)
    except ValueError:
        return encode_labels(values, limits=limits, refuse=refuse)
    bad = first_nonfinite(floats)
    if bad is not None:
        (k,) = bad
        raise refuse(k, _nonfinite(values[k], " in the target"))
    return classify_target(floats, limits=limits, refuse=refuse)
