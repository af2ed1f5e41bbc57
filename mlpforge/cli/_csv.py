"""CSV in and out of ``mlpforge predict``."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from mlpforge.client import Model, Prediction


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_features(text: str, model: Model) -> np.ndarray:
    """The rows of a CSV as the model's feature matrix.

    With a header row naming every feature of the model, those columns are taken in the
    model's order (others, such as the target, are ignored); with any other header, or none
    (a first row of numbers), the columns are taken as they are and must be as many as the
    model's features.
    """
    rows = [
        row for row in csv.reader(io.StringIO(text)) if row and any(cell.strip() for cell in row)
    ]
    if not rows:
        raise ValueError("the CSV file holds no rows")
    header: list[str] | None = None
    if not all(_is_number(cell) for cell in rows[0]):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
        if not rows:
            raise ValueError("the CSV file has a header row but no data rows")
    columns = list(range(len(rows[0]) if header is None else len(header)))
    names = model.feature_names or []
    if header is not None and names and set(names) <= set(header):
        columns = [header.index(name) for name in names]
    elif len(columns) != model.n_features:
        expected = f" ({', '.join(names)})" if names else ""
        raise ValueError(
            f"the CSV file has {len(columns)} columns; model {model.id} takes "
            f"{model.n_features} features{expected}: give a header row naming them, or "
            f"exactly {model.n_features} columns of numbers"
        )
    X = np.empty((len(rows), len(columns)), dtype=np.float64)
    first_line = 2 if header is not None else 1
    for index, row in enumerate(rows):
        for out_column, column in enumerate(columns):
            cell = row[column].strip() if column < len(row) else ""
            try:
                X[index, out_column] = float(cell)
            except ValueError:
                where = header[column] if header is not None else f"column {column + 1}"
                raise ValueError(
                    f"line {first_line + index}, {where}: not a number: {cell!r}"
                ) from None
    return X


def _label(value: Any) -> str:
    return str(value.item() if isinstance(value, np.generic) else value)


def write_predictions(prediction: Prediction, stream: TextIO) -> int:
    """``prediction`` (one column per output) and, for classifiers, ``probability_<class>``
    per class. Returns the number of rows written."""
    predictions = prediction.predictions
    header: list[str]
    if predictions.ndim == 2:
        header = [f"prediction_{index}" for index in range(predictions.shape[1])]
    else:
        header = ["prediction"]
    classes: Sequence[Any] = prediction.classes.tolist() if prediction.classes is not None else []
    if prediction.probabilities is not None:
        header += [f"probability_{_label(label)}" for label in classes]
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for index in range(len(predictions)):
        value = predictions[index]
        row = [_label(v) for v in value] if predictions.ndim == 2 else [_label(value)]
        if prediction.probabilities is not None:
            row += [repr(float(p)) for p in prediction.probabilities[index]]
        writer.writerow(row)
    return len(predictions)
