"""Turn a predict request's raw JSON into a float32 matrix, and answers into JSON, fast.

Parsing goes through orjson and numpy rather than pydantic lists of floats: a 10,000-row
request is one C-level conversion instead of millions of Python objects being validated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import orjson

from engine import FittedModel
from service.errors import ApiError, invalid
from service.metrics.instruments import observe_prediction


def too_many_rows(rows: int, max_rows: int) -> ApiError:
    return ApiError(
        413,
        f"this request holds {rows:,} rows; at most {max_rows:,} are accepted per request "
        "(MLPFORGE_MAX_PREDICT_ROWS): send them in several requests",
    )


def count_rows_upper_bound(body: bytes) -> int:
    """At least the number of rows in a JSON predict body, read without parsing it.

    Every row opens with '[' and so does the list of rows, so for a valid body this is exact;
    any other '[' (inside a string, in a nested list) only makes it larger, and such bodies
    are invalid anyway. Counting is a C-speed scan, so an 11-million-row body is refused
    before a single Python object is made of it.
    """
    return max(0, body.count(b"[") - 1)


def _numbers_only(body: bytes) -> bool:
    """Whether the body can hold no strings, booleans or nulls besides its one key.

    numpy's conversion would take "2" as 2.0 and true as 1.0; a predict request is as strict
    as an upload, so such values must meet the per-cell checks below. A body with exactly two
    quote characters has no string but its key, and then "true", "false" and "null" can only
    be JSON literals.
    """
    return body.count(b'"') == 2 and not any(
        word in body for word in (b"true", b"false", b"null")
    )


def parse_rows(body: bytes, n_features: int, max_rows: int | None = None) -> np.ndarray:
    if max_rows is not None and (bound := count_rows_upper_bound(body)) > max_rows:
        # The bound is exact for any valid body; only an invalid one could be over-counted.
        raise too_many_rows(bound, max_rows)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise invalid(["body"], f"invalid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise invalid(["body"], 'expected an object like {"inputs": [[...], ...]}')
    unknown = set(payload) - {"inputs", "instances"}
    if unknown:
        raise invalid(["body", sorted(unknown)[0]], "unknown field; send 'inputs' or 'instances'")
    if len(payload) != 1:
        raise invalid(
            ["body"], "send the rows as 'inputs' or as 'instances' (one of them, not both)"
        )
    field = "inputs" if "inputs" in payload else "instances"
    rows = payload[field]
    if not isinstance(rows, list) or not rows:
        raise invalid(["body", field], "expected a non-empty list of rows")
    if max_rows is not None and len(rows) > max_rows:
        raise too_many_rows(len(rows), max_rows)
    # The common case without a Python loop: rows that are all lists of `n_features` numbers,
    # converted in one pass. Anything else takes the checks below, which name the bad row or
    # cell.
    if (
        _numbers_only(body)
        and set(map(type, rows)) == {list}
        and set(map(len, rows)) == {n_features}
    ):
        try:
            with np.errstate(over="ignore"):  # overflow to inf is reported by `_finite`
                flat = np.fromiter(
                    chain.from_iterable(rows), dtype=np.float32, count=len(rows) * n_features
                )
        except (ValueError, TypeError):
            pass
        else:
            return _finite(flat.reshape(len(rows), n_features), field)
    return _checked_rows(rows, n_features, field)


def _checked_rows(rows: list[Any], n_features: int, field: str) -> np.ndarray:
    """Row by row and cell by cell: slow, and only for bodies that are not plain numbers."""
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise invalid(["body", field, index], "each row must be a list of numbers")
        if len(row) != n_features:
            raise invalid(
                ["body", field, index],
                f"row {index} has {len(row)} values; this model expects {n_features} features",
            )
        for column, cell in enumerate(row):
            if cell is None:
                raise invalid(["body", field, index, column], "not a finite float32 number")
            if isinstance(cell, bool) or not isinstance(cell, int | float):
                raise invalid(["body", field, index, column], f"not a number: {cell!r:.40}")
    with np.errstate(over="ignore"):  # orjson gives floats for integers beyond 64 bits
        matrix = np.array(rows, dtype=np.float32)
    return _finite(matrix, field)


def _finite(matrix: np.ndarray, field: str) -> np.ndarray:
    if not np.isfinite(matrix).all():
        row, column = np.argwhere(~np.isfinite(matrix))[0]
        raise invalid(["body", field, int(row), int(column)], "not a finite float32 number")
    return matrix


def _labels(values: np.ndarray) -> list[Any]:
    return values.tolist()  # numpy scalars become plain bool/int/float/str


def _outputs_finite(outputs: np.ndarray) -> None:
    """Inputs far outside the training data can overflow the network: a 422, never nulls."""
    if np.isfinite(outputs).all():  # the usual case in two numpy calls; the row is found below
        return
    bad = ~np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise invalid(
            ["body", "inputs", row],
            f"row {row}: the model's output overflows for these values; "
            "they are far outside the range of the training data",
        )


def predicted_labels(model: FittedModel, probabilities: np.ndarray) -> np.ndarray:
    """A classifier's labels from its probabilities, as ``FittedModel.predict`` gives them:
    the most probable class, or for a multilabel model a 0/1 (int64) row, each label in whose
    own probability is over 0.5."""
    if model.multilabel:
        return (probabilities > 0.5).astype(np.int64)
    assert model.classes_ is not None
    return model.classes_[np.argmax(probabilities, axis=1)]


@dataclass(frozen=True)
class Outputs:
    """What a model answers for some rows: labels or values, and class probabilities."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None
    classes: np.ndarray | None = None


def predict_outputs(model: FittedModel, X: np.ndarray) -> Outputs:
    began = time.perf_counter()
    outputs = _outputs(model, X)
    observe_prediction(X.shape[0], time.perf_counter() - began, protocol="v1")
    return outputs


def _outputs(model: FittedModel, X: np.ndarray) -> Outputs:
    # X comes from parse_rows or parse_npy_rows, which checked its width and that every cell
    # is finite (naming the bad one): the engine need not check again.
    if model.task == "classification":
        with np.errstate(all="ignore"):
            probabilities = model.predict_proba(X, validated=True)
        _outputs_finite(probabilities)
        assert model.classes_ is not None
        return Outputs(predicted_labels(model, probabilities), probabilities, model.classes_)
    with np.errstate(all="ignore"):
        predictions = np.asarray(model.predict(X, validated=True), dtype=np.float64)
    _outputs_finite(predictions)
    return Outputs(predictions)


# JSON numbers of the answer: float64 (the default, every digit of the computed value), or
# float32 (?dtype=float32: the model computes in float32 by default, so nothing it knows is
# lost, and the shortest float32 spelling is about half as long to send and to encode).
JSON_DTYPES = {"float64": np.float64, "float32": np.float32}


def json_payload(outputs: Outputs, dtype: str = "float64") -> bytes:
    numbers = JSON_DTYPES[dtype]
    if outputs.probabilities is None:
        return orjson.dumps(
            {"predictions": outputs.predictions.astype(numbers, copy=False)},
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
    assert outputs.classes is not None
    return orjson.dumps(
        {
            "predictions": _labels(outputs.predictions),
            "probabilities": outputs.probabilities.astype(numbers, copy=False),
            "classes": _labels(outputs.classes),
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )
