"""``application/json`` dataset bodies.

``{"name"?: str, "features": [[number, ...], ...], "targets": [number|string|bool, ...],
"feature_names"?: [str, ...], "weights"?: [number, ...], "target_names"?: [str, ...]}``
(``targets`` may also be rows of numbers, one column per target: see json_targets), parsed
with orjson: pydantic validation of a 10,000 × 784 matrix costs seconds, orjson plus one numpy
conversion a fraction of that, and json_matrix's straight read of the features less again.
Python-level loops run per row (or per target), never per cell, except to locate a cell already
known to be bad.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from .dataset import ParsedDataset
from .errors import DatasetError, Loc, error, json_kind, not_a_number, plural, quote
from .json_matrix import SENTINEL_VALUE, split_features
from .json_targets import parse_targets, parse_weights, target_width
from .limits import IngestLimits, check_size
from .names import (
    NameProblem,
    check_dataset_name,
    default_feature_names,
    find_name_problems,
    too_long,
)
from .numeric import FLOAT32_RANGE, first_nonfinite, narrow_features
from .target_matrix import check_target_count

ALLOWED_KEYS = ("name", "features", "targets", "feature_names", "weights", "target_names")
_BODY: Loc = ["body"]

# type() of a parsed JSON number; bool is excluded on purpose (True is not a feature value).
_NUMBER_TYPES = frozenset({int, float})
# Spellings (lowercased) orjson refuses but people, Python's json module and JavaScript write
# for non-finite numbers: NaN, Infinity, -Infinity, nan, inf.
_NONFINITE_PREFIXES = (b"nan", b"inf", b"-nan", b"-inf", b"+nan", b"+inf")


def parse_json_dataset(body: bytes, *, limits: IngestLimits) -> tuple[ParsedDataset, str | None]:
    """Parse a JSON dataset body; return the dataset and its optional ``name``.

    Raises :class:`DatasetError` with locs such as ``["body", "features", 17]``.
    """
    doc, X = _load_fast(body)
    if not isinstance(doc, dict):
        raise DatasetError.at(
            _BODY,
            f"the body must be a JSON object with 'features' and 'targets', got {json_kind(doc)}",
        )
    _check_keys(doc)
    name = doc.get("name")
    check_dataset_name(name, loc=[*_BODY, "name"], limits=limits, what="name")

    features = doc["features"]
    n_rows, n_features = _feature_shape(features) if X is None else X.shape
    n_targets = target_width(doc["targets"])
    check_target_count(n_targets, limits, loc=[*_BODY, "targets"])
    # Before any per-cell work: refusing a huge matrix must stay cheap.
    check_size(limits, n_rows, n_features, loc=_BODY, n_targets=n_targets)

    feature_names = _names(doc.get("feature_names"), n_features, limits, "feature_names")
    target = parse_targets(doc["targets"], n_rows, limits)
    target_names = _target_names(doc.get("target_names"), target.y.shape, limits)
    weights = parse_weights(doc.get("weights"), n_rows)
    if X is None:
        X = _feature_matrix(features)

    dataset = ParsedDataset.of(X, target, feature_names, weights=weights, target_names=target_names)
    return dataset, name


def _load_fast(body: bytes) -> tuple[Any, np.ndarray | None]:
    """The document, and the features when json_matrix could read them straight into an
    array (the document then holds a placeholder for them); else the whole document."""
    fast = split_features(body)
    if fast is not None:
        try:
            doc = orjson.loads(fast[0])
        except orjson.JSONDecodeError:
            doc = None  # the rest is not valid JSON: the slow path words the error
        if isinstance(doc, dict) and doc.get("features") == SENTINEL_VALUE:
            return doc, fast[1]
    return _load(body), None


def _load(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DatasetError.at(_BODY, _invalid_json_message(body, exc)) from None


def _invalid_json_message(body: bytes, exc: orjson.JSONDecodeError) -> str:
    msg = f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} (char {exc.pos})"
    # orjson's "unexpected character" at a NaN says nothing about why; say it. pos is where
    # the literal starts, or just after its sign. It counts characters, not bytes; they agree
    # unless non-ASCII text precedes the error, and then this hint is merely left out.
    starts = (body[start : start + 4].lower() for start in (exc.pos, max(exc.pos - 1, 0)))
    if any(s.startswith(_NONFINITE_PREFIXES) for s in starts):
        msg += "; NaN and Infinity are not valid JSON numbers and are not allowed in a dataset"
    return msg


def _check_keys(doc: dict[str, Any]) -> None:
    problems = [
        error(
            [*_BODY, key],
            f"unknown field {quote(key)}; the allowed fields are: {', '.join(ALLOWED_KEYS)}",
        )
        for key in doc
        if key not in ALLOWED_KEYS
    ]
    problems += [
        error([*_BODY, key], "field required") for key in ("features", "targets") if key not in doc
    ]
    name = doc.get("name")
    if name is not None and not isinstance(name, str):
        problems.append(error([*_BODY, "name"], f"must be a string, got {json_kind(name)}"))
    if problems:
        raise DatasetError(problems)


def _feature_shape(features: Any) -> tuple[int, int]:
    """(rows, width) after checking that ``features`` is a non-empty rectangle of arrays."""
    loc: Loc = [*_BODY, "features"]
    if not isinstance(features, list):
        raise DatasetError.at(
            loc, f"must be an array of rows (arrays of numbers), got {json_kind(features)}"
        )
    if not features:
        raise DatasetError.at(loc, "the dataset is empty: features has no rows")
    first = features[0]
    if not isinstance(first, list):
        hint = (
            "; for one feature per sample write [[1.0], [2.0], ...]"
            if isinstance(first, int | float) and not isinstance(first, bool)
            else ""
        )
        raise DatasetError.at(
            [*loc, 0], f"row 0 must be an array of numbers, got {json_kind(first)}{hint}"
        )
    width = len(first)
    if width == 0:
        raise DatasetError.at([*loc, 0], "row 0 is empty; every row needs at least one value")
    for i, row in enumerate(features):
        if type(row) is not list:
            raise DatasetError.at(
                [*loc, i], f"row {i} must be an array of numbers, got {json_kind(row)}"
            )
        if len(row) != width:
            raise DatasetError.at(
                [*loc, i],
                f"row {i} has {plural(len(row), 'value')}, expected {width} (the width of row 0)",
            )
    return len(features), width


def _feature_matrix(features: list[list[Any]]) -> np.ndarray:
    loc: Loc = [*_BODY, "features"]
    # Type check per row at C speed: issuperset() consumes the map lazily and stops at the
    # first non-number. numpy itself would silently take true as 1.0, null as NaN, "1" as 1.0.
    integers = True  # every number written as an integer (orjson reads those as int)
    for i, row in enumerate(features):
        types = set(map(type, row))
        if not _NUMBER_TYPES.issuperset(types):
            j, value = next((j, v) for j, v in enumerate(row) if type(v) not in _NUMBER_TYPES)
            raise DatasetError.at([*loc, i, j], not_a_number(value, "features"))
        integers = integers and float not in types
    # Straight to float32: orjson never yields NaN/inf, so a non-finite result is an overflow.
    with np.errstate(over="ignore"):
        X = np.array(features, dtype=np.float32)
    bad = first_nonfinite(X)
    if bad is not None:
        i, j = bad
        raise DatasetError.at([*loc, i, j], f"{features[i][j]!r} is outside {FLOAT32_RANGE}")
    # Integers stored as json_matrix's fast path stores them.
    return narrow_features(X) if integers else X


def _target_names(names: Any, y_shape: tuple[int, ...], limits: IngestLimits) -> list[str] | None:
    """The names of a multi-column target's columns (like feature names), if given."""
    if names is None:
        return None
    if len(y_shape) != 2:
        raise DatasetError.at(
            [*_BODY, "target_names"],
            "names the columns of a multi-column target (targets as rows of numbers); "
            "this dataset has one target",
        )
    return _names(names, y_shape[1], limits, "target_names")


def _names(names: Any, n_columns: int, limits: IngestLimits, field: str) -> list[str]:
    """Feature names (default x0, x1, ...) or target names: strings, one per column."""
    loc: Loc = [*_BODY, field]
    if names is None:
        return default_feature_names(n_columns)
    if not isinstance(names, list):
        raise DatasetError.at(loc, f"must be an array of strings, got {json_kind(names)}")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise DatasetError.at([*loc, i], f"must be a string, got {json_kind(name)}")
    if len(names) != n_columns:
        rows = "features" if field == "feature_names" else "targets"
        raise DatasetError.at(
            loc,
            f"has {plural(len(names), 'name')} but the rows of {rows} have "
            f"{plural(n_columns, 'value')}",
        )
    problems = find_name_problems(names, limits.max_name_chars)
    if problems:
        raise DatasetError(
            [error([*loc, p.index], _name_message(p, names, limits)) for p in problems]
        )
    return list(names)


def _name_message(problem: NameProblem, names: list[str], limits: IngestLimits) -> str:
    name = names[problem.index]
    if problem.problem == "empty":
        return "empty name"
    if problem.problem == "long":
        return f"the name {too_long(name, limits.max_name_chars)}"
    return f"duplicate name {quote(name)} (also at index {problem.first_index})"
