"""The target side of an ``application/json`` dataset body: ``targets`` (one value per row, or
rows of equal length for a multi-column target) and ``weights`` (one number per row).

As for features, Python-level loops run per row, never per cell, except to locate a cell
already known to be bad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dataset import EncodedTarget
from .errors import DatasetError, Loc, json_kind, json_repr, not_a_number, plural
from .limits import IngestLimits
from .target_matrix import classify_target_matrix
from .targets import classify_target, encode_labels
from .weights import check_weights

_BODY: Loc = ["body"]
_TARGET_GROUPS: dict[type, str] = {int: "number", float: "number", str: "string", bool: "boolean"}
_NUMBER_TYPES = frozenset({int, float})


def target_width(targets: Any) -> int:
    """How many target columns ``targets`` has: 1 unless its first entry is a row (a list)."""
    if isinstance(targets, list) and targets and isinstance(targets[0], list):
        return len(targets[0])
    return 1


def parse_targets(targets: Any, n_rows: int, limits: IngestLimits) -> EncodedTarget:
    """``targets`` encoded: labels as codes, numbers classified (see targets, target_matrix)."""
    loc: Loc = [*_BODY, "targets"]
    if not isinstance(targets, list):
        raise DatasetError.at(loc, f"must be an array of target values, got {json_kind(targets)}")
    if not targets:
        raise DatasetError.at(loc, "the dataset is empty: targets has no values")
    if len(targets) != n_rows:
        raise DatasetError.at(
            loc, f"has {plural(len(targets), 'value')} but features has {plural(n_rows, 'row')}"
        )
    if isinstance(targets[0], list):
        return _target_rows(targets, loc, limits)

    types = set(map(type, targets))
    unknown = types - _TARGET_GROUPS.keys()
    if unknown:
        i, value = next((i, v) for i, v in enumerate(targets) if type(v) in unknown)
        if value is None:
            raise DatasetError.at([*loc, i], f"target {i} is missing (null)")
        raise DatasetError.at(
            [*loc, i], f"target {i} must be a number, string or boolean, got {json_kind(value)}"
        )
    groups = {_TARGET_GROUPS[t] for t in types}
    if len(groups) > 1:
        first = _TARGET_GROUPS[type(targets[0])]
        i = next(i for i, v in enumerate(targets) if _TARGET_GROUPS[type(v)] != first)
        found = _TARGET_GROUPS[type(targets[i])]
        raise DatasetError.at(
            [*loc, i],
            f"target {i} is a {found} but target 0 is a {first}; targets must be all numbers, "
            "all strings or all booleans",
        )
    (group,) = groups

    def refuse(i: int | None, problem: str) -> DatasetError:
        if i is None:
            return DatasetError.at(loc, problem)
        return DatasetError.at([*loc, i], f"target {i}: {problem}")

    if group == "number":
        return classify_target(_numbers(targets, types), limits=limits, refuse=refuse)
    # Labels go straight to codes: an array of them would be as wide as the longest, per row.
    return encode_labels(targets, limits=limits, refuse=refuse)


def _numbers(targets: list[Any], types: set[type]) -> np.ndarray:
    if types == {int}:
        try:
            return np.array(targets, dtype=np.int64)
        except OverflowError:
            pass  # orjson keeps integers up to 2**64 - 1; those beyond int64 become floats
    # orjson never yields NaN/inf, and every number it yields fits a float64.
    return np.array(targets, dtype=np.float64)


def _target_rows(rows: list[Any], loc: Loc, limits: IngestLimits) -> EncodedTarget:
    """A multi-column target: rows of numbers, all as wide as the first."""
    width = len(rows[0])
    if width == 0:
        raise DatasetError.at([*loc, 0], "target 0 is an empty row; every row needs a value")
    for i, row in enumerate(rows):
        if type(row) is not list:
            raise DatasetError.at(
                [*loc, i],
                f"target {i} must be a row of numbers (target 0 is), got {json_kind(row)}",
            )
        if len(row) != width:
            raise DatasetError.at(
                [*loc, i],
                f"target {i} has {plural(len(row), 'value')}, expected {width} (the width of "
                "target 0)",
            )
        if not _NUMBER_TYPES.issuperset(map(type, row)):
            j, value = next((j, v) for j, v in enumerate(row) if type(v) not in _NUMBER_TYPES)
            raise DatasetError.at([*loc, i, j], not_a_number(value, "a multi-column target"))
    values = np.array(rows, dtype=np.float64)  # orjson's numbers all fit a float64

    def refuse_row(i: int | None, problem: str) -> DatasetError:
        return DatasetError.at(loc if i is None else [*loc, i], problem)

    if width == 1:  # one column written as rows: the ordinary one-target case
        return classify_target(values.ravel(), limits=limits, refuse=refuse_row)

    def refuse(i: int, j: int, problem: str) -> DatasetError:
        return DatasetError.at([*loc, i, j], f"target {i}, column {j}: {problem}")

    return classify_target_matrix(values, refuse=refuse)


def parse_weights(weights: Any, n_rows: int) -> np.ndarray | None:
    """``weights``: one number per row, finite, at least 0, not all 0; None when absent."""
    loc: Loc = [*_BODY, "weights"]
    if weights is None:
        return None
    if not isinstance(weights, list):
        raise DatasetError.at(loc, f"must be an array of numbers, got {json_kind(weights)}")
    if len(weights) != n_rows:
        raise DatasetError.at(
            loc, f"has {plural(len(weights), 'weight')} but features has {plural(n_rows, 'row')}"
        )
    if not _NUMBER_TYPES.issuperset(map(type, weights)):
        i, value = next((i, v) for i, v in enumerate(weights) if type(v) not in _NUMBER_TYPES)
        raise DatasetError.at([*loc, i], f"weight {i} is not a number: {json_repr(value)}")

    def refuse(i: int | None, problem: str) -> DatasetError:
        if i is None:
            return DatasetError.at(loc, f"weights: {problem}")
        return DatasetError.at([*loc, i], f"weight {i}: {problem}")

    return check_weights(np.array(weights, dtype=np.float64), refuse=refuse)
