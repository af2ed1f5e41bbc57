"""Turn a predict request's raw JSON into a float32 matrix, and answers into JSON, fast.

Parsing goes through orjson and numpy rather than pydantic lists of floats: a 10,000-row
request is one C-level conversion instead of millions of Python objects being validated.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np
import orjson

from engine import FittedModel
from service.errors import ApiError


def _invalid(loc: list[Any], msg: str) -> ApiError:
    return ApiError(422, f"{'.'.join(map(str, loc))}: {msg}", errors=[{"loc": loc, "msg": msg}])


def parse_rows(body: bytes, n_features: int) -> np.ndarray:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _invalid(["body"], f"invalid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise _invalid(["body"], 'expected an object like {"inputs": [[...], ...]}')
    unknown = set(payload) - {"inputs", "instances"}
    if unknown:
        raise _invalid(["body", sorted(unknown)[0]], "unknown field; send 'inputs' or 'instances'")
    field = "inputs" if "inputs" in payload else "instances"
    rows = payload.get(field)
    if not isinstance(rows, list) or not rows:
        raise _invalid(["body", field], "expected a non-empty list of rows")
    # The common case without a Python loop: rows that are all lists of `n_features` values,
    # converted in one pass (the same conversions as np.array's). Anything else takes the
    # checks below, which name the bad row or cell.
    if set(map(type, rows)) == {list} and set(map(len, rows)) == {n_features}:
        try:
            with np.errstate(over="ignore"):  # overflow to inf is reported by `_finite`
                flat = np.fromiter(
                    chain.from_iterable(rows), dtype=np.float32, count=len(rows) * n_features
                )
        except (ValueError, TypeError):
            pass
        else:
            return _finite(flat.reshape(len(rows), n_features), field)
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise _invalid(["body", field, index], "each row must be a list of numbers")
        if len(row) != n_features:
            raise _invalid(
                ["body", field, index],
                f"row {index} has {len(row)} values; this model expects {n_features} features",
            )
    try:
        with np.errstate(over="ignore"):
            matrix = np.array(rows, dtype=np.float32)
    except (ValueError, TypeError):
        for index, row in enumerate(rows):
            for column, cell in enumerate(row):
                if isinstance(cell, bool) or not isinstance(cell, int | float):
                    raise _invalid(
                        ["body", field, index, column], f"not a number: {cell!r}"
                    ) from None
        raise _invalid(["body", field], "rows must hold numbers only") from None
    if matrix.dtype == object or matrix.ndim != 2:
        raise _invalid(["body", field], "rows must hold numbers only")
    return _finite(matrix, field)


def _finite(matrix: np.ndarray, field: str) -> np.ndarray:
    if not np.isfinite(matrix).all():
        row, column = np.argwhere(~np.isfinite(matrix))[0]
        raise _invalid(["body", field, int(row), int(column)], "not a finite float32 number")
    return matrix


def _labels(values: np.ndarray) -> list[Any]:
    return values.tolist()  # numpy scalars become plain bool/int/float/str


def _outputs_finite(outputs: np.ndarray) -> None:
    """Inputs far outside the training data can overflow the network: a 422, never nulls."""
    bad = ~np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise _invalid(
            ["body", "inputs", row],
            f"row {row}: the model's output overflows for these values; "
            "they are far outside the range of the training data",
        )


def predict_payload(model: FittedModel, X: np.ndarray) -> bytes:
    if model.task == "classification":
        with np.errstate(all="ignore"):
            probabilities = model.predict_proba(X)
        _outputs_finite(probabilities)
        assert model.classes_ is not None
        labels = model.classes_[np.argmax(probabilities, axis=1)]
        return orjson.dumps(
            {
                "predictions": _labels(labels),
                "probabilities": probabilities.astype(np.float64),
                "classes": _labels(model.classes_),
            },
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
    with np.errstate(all="ignore"):
        predictions = np.asarray(model.predict(X), dtype=np.float64)
    _outputs_finite(predictions)
    return orjson.dumps({"predictions": predictions}, option=orjson.OPT_SERIALIZE_NUMPY)
