"""``application/json`` dataset bodies.

``{"name"?: str, "features": [[number, ...], ...], "targets": [number|string|bool, ...],
"feature_names"?: [str, ...]}``, parsed with orjson: pydantic validation of a 10,000 × 784
matrix costs seconds, orjson plus one numpy conversion a fraction of that. Python-level loops
run per row (or per target), never per cell, except to locate a cell already known to be bad.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from .dataset import EncodedTarget, ParsedDataset
from .errors import DatasetError, Loc, error, json_kind, json_repr, plural, quote
from .limits import IngestLimits, check_size
from .names import (
    NameProblem,
    check_dataset_name,
    default_feature_names,
    find_name_problems,
    too_long,
)
from .numeric import FLOAT32_RANGE, first_nonfinite
from .targets import classify_target, encode_labels

ALLOWED_KEYS = ("name", "features", "targets", "feature_names")
_BODY: Loc = ["body"]

# type() of a parsed JSON number; bool is excluded on purpose (True is not a feature value).
_NUMBER_TYPES = frozenset({int, float})
_TARGET_GROUPS: dict[type, str] = {int: "number", float: "number", str: "string", bool: "boolean"}
# Spellings (lowercased) orjson refuses but people, Python's json module and JavaScript write
# for non-finite numbers: NaN, Infinity, -Infinity, nan, inf.
_NONFINITE_PREFIXES = (b"nan", b"inf", b"-nan", b"-inf", b"+nan", b"+inf")


def parse_json_dataset(body: bytes, *, limits: IngestLimits) -> tuple[ParsedDataset, str | None]:
    """Parse a JSON dataset body; return the dataset and its optional ``name``.

    Raises :class:`DatasetError` with locs such as ``["body", "features", 17]``.
    """
    doc = _load(body)
    if not isinstance(doc, dict):
        raise DatasetError.at(
            _BODY,
            f"the body must be a JSON object with 'features' and 'targets', got {json_kind(doc)}",
        )
    _check_keys(doc)
    name = doc.get("name")
    check_dataset_name(name, loc=[*_BODY, "name"], limits=limits, what="name")

    features = doc["features"]
    n_rows, n_features = _feature_shape(features)
    # Before any per-cell work: refusing a huge matrix must stay cheap.
    check_size(limits, n_rows, n_features, loc=_BODY)

    feature_names = _feature_names(doc.get("feature_names"), n_features, limits)
    target = _targets(doc["targets"], n_rows, limits)
    X = _feature_matrix(features)

    return ParsedDataset.of(X, target, feature_names), name


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
    for i, row in enumerate(features):
        if not _NUMBER_TYPES.issuperset(map(type, row)):
            j, value = next((j, v) for j, v in enumerate(row) if type(v) not in _NUMBER_TYPES)
            raise DatasetError.at([*loc, i, j], _not_a_number(value))
    # Straight to float32: orjson never yields NaN/inf, so a non-finite result is an overflow.
    with np.errstate(over="ignore"):
        X = np.array(features, dtype=np.float32)
    bad = first_nonfinite(X)
    if bad is not None:
        i, j = bad
        raise DatasetError.at([*loc, i, j], f"{features[i][j]!r} is outside {FLOAT32_RANGE}")
    return X


def _not_a_number(value: Any) -> str:
    msg = f"not a number: {json_repr(value)}"
    if value is None:
        return msg + " (missing values are not allowed)"
    if isinstance(value, bool):
        return msg + " (booleans are not allowed in features; use 0 and 1)"
    return msg


def _feature_names(names: Any, n_features: int, limits: IngestLimits) -> list[str]:
    loc: Loc = [*_BODY, "feature_names"]
    if names is None:
        return default_feature_names(n_features)
    if not isinstance(names, list):
        raise DatasetError.at(loc, f"must be an array of strings, got {json_kind(names)}")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise DatasetError.at([*loc, i], f"must be a string, got {json_kind(name)}")
    if len(names) != n_features:
        raise DatasetError.at(
            loc,
            f"has {plural(len(names), 'name')} but the rows of features have "
            f"{plural(n_features, 'value')}",
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


def _targets(targets: Any, n_rows: int, limits: IngestLimits) -> EncodedTarget:
    loc: Loc = [*_BODY, "targets"]
    if not isinstance(targets, list):
        raise DatasetError.at(loc, f"must be an array of target values, got {json_kind(targets)}")
    if not targets:
        raise DatasetError.at(loc, "the dataset is empty: targets has no values")
    if len(targets) != n_rows:
        raise DatasetError.at(
            loc, f"has {plural(len(targets), 'value')} but features has {plural(n_rows, 'row')}"
        )

    types = set(map(type, targets))
    unknown = types - _TARGET_GROUPS.keys()
    if unknown:
        i, value = next((i, v) for i, v in enumerate(targets) if type(v) in unknown)
        if value is None:
            raise DatasetError.at([*loc, i], f"target {i} is missing (null)")
        raise DatasetError.at(
            [*loc, i],
            f"target {i} must be a number, string or boolean, got {json_kind(value)}",
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
        return classify_target(_numeric_targets(targets, types), limits=limits, refuse=refuse)
    # Labels go straight to codes: an array of them would be as wide as the longest, per row.
    return encode_labels(targets, limits=limits, refuse=refuse)


def _numeric_targets(targets: list[Any], types: set[type]) -> np.ndarray:
    if types == {int}:
        try:
            return np.array(targets, dtype=np.int64)
        except OverflowError:
            pass  # orjson keeps integers up to 2**64 - 1; those beyond int64 become floats
    # orjson never yields NaN/inf, and every number it yields fits a float64.
    return np.array(targets, dtype=np.float64)
