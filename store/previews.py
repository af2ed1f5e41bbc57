"""A dataset at a glance: its first rows, per-column statistics and class counts.

Computed from the stored arrays (read once through :meth:`Datasets.arrays`, which a 20M-cell
dataset costs ~80 MB for the moment of the request). Statistics are taken over slices of
rows, each widened to float64 on its own and merged with Chan et al.'s pairwise update, so
the transient memory is one slice (~8 MB), never a float64 copy of the whole matrix, and the
variance stays exact where a running sum of squares would cancel (a column of values near
1e6 with a spread of 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from store.datasets import Datasets, class_table
from store.records import DatasetRecord, Label, TargetKind

MAX_ROWS = 20
MAX_COLUMNS = 1000
# Cells widened to float64 at a time: 8 MB of transient memory whatever the dataset's size.
SLICE_CELLS = 1 << 20


class ColumnStats(BaseModel):
    name: str
    min: int | float
    max: int | float
    mean: float
    std: float = Field(description="Population standard deviation (ddof=0), as numpy's.")


class ClassCount(BaseModel):
    label: Label
    count: int


class DatasetPreview(BaseModel):
    """The first rows of a dataset and statistics over all of its rows."""

    dataset_id: str
    n_samples: int
    n_features: int
    columns_shown: int = Field(
        description="Features shown in `columns` and `rows` (the first ones; at most `?columns=`)."
    )
    feature_names: list[str] = Field(description="The names of the features shown.")
    target_name: str | None = None
    target_kind: TargetKind
    rows: list[list[int | float]] = Field(description="The first rows' features (shown columns).")
    targets: list[Any] = Field(description="The first rows' targets, as uploaded (labels).")
    columns: list[ColumnStats] = Field(description="Statistics of each shown feature column.")
    target: list[ColumnStats] | None = Field(
        None, description="Statistics of a continuous target (one entry per target column)."
    )
    class_counts: list[ClassCount] | None = Field(
        None, description="Rows per class of a categorical target, in the order of `classes`."
    )


def dataset_preview(
    datasets: Datasets, record: DatasetRecord, *, rows: int = MAX_ROWS, columns: int = 100
) -> DatasetPreview | None:
    """The preview of ``record``'s dataset; None if its arrays are gone (deleted meanwhile)."""
    arrays = datasets.arrays(record.id)
    if arrays is None:
        return None
    return preview_of(record, arrays.X, arrays.y, rows=rows, columns=columns)


def preview_of(
    record: DatasetRecord, X: np.ndarray, y: np.ndarray, *, rows: int, columns: int
) -> DatasetPreview:
    rows, columns = min(rows, MAX_ROWS), min(columns, MAX_COLUMNS, X.shape[1])
    shown = X[:, :columns]
    names = record.feature_names[:columns] or [f"x{i}" for i in range(columns)]
    classes = class_table(record, y)
    head = y[:rows]
    if classes is not None:
        targets: list[Any] = [classes[int(code)] for code in head]
    elif y.ndim == 2:  # a multi-column target, a row each (a 0/1 matrix's codes are its values)
        targets = [[_plain(value) for value in row] for row in head]
    else:
        targets = [_plain(value) for value in head]
    counts, target_stats = None, None
    if record.target_kind == "categorical" and y.ndim == 1:
        counts = _class_counts(y, classes)
    elif y.dtype.kind in "uifb":
        target_y = y.reshape(len(y), -1)
        base = record.target_name or "target"
        target_names = (
            [base]
            if y.ndim == 1
            else record.target_names or [f"{base}[{i}]" for i in range(target_y.shape[1])]
        )
        target_stats = column_stats(target_y, target_names)
    return DatasetPreview(
        dataset_id=record.id,
        n_samples=int(X.shape[0]),
        n_features=int(X.shape[1]),
        columns_shown=columns,
        feature_names=names,
        target_name=record.target_name,
        target_kind=record.target_kind,
        rows=[[_plain(value) for value in row] for row in shown[:rows]],
        targets=targets,
        columns=column_stats(shown, names),
        target=target_stats,
        class_counts=counts,
    )


def column_stats(X: np.ndarray, names: list[str]) -> list[ColumnStats]:
    """min, max, mean and std of each column of ``X`` (n ≥ 1 rows), over slices of rows."""
    n_rows, n_cols = X.shape
    step = max(1, SLICE_CELLS // max(1, n_cols))
    count = 0
    mean = np.zeros(n_cols)
    m2 = np.zeros(n_cols)  # sum of squared deviations from the mean
    low = high = None
    for start in range(0, n_rows, step):
        part = X[start : start + step]
        wide = part.astype(np.float64)
        n = wide.shape[0]
        part_mean = wide.mean(axis=0)
        wide -= part_mean
        part_m2 = np.einsum("ij,ij->j", wide, wide)
        delta = part_mean - mean
        total = count + n
        mean += delta * (n / total)
        m2 += part_m2 + delta * delta * (count * n / total)
        count = total
        part_low, part_high = part.min(axis=0), part.max(axis=0)
        low = part_low if low is None else np.minimum(low, part_low)
        high = part_high if high is None else np.maximum(high, part_high)
    if low is None or high is None:  # no rows: a stored dataset always has some
        return []
    std = np.sqrt(m2 / max(count, 1))
    return [
        ColumnStats(
            name=name,
            min=_plain(low[j]),
            max=_plain(high[j]),
            mean=float(mean[j]),
            std=float(std[j]),
        )
        for j, name in enumerate(names)
    ]


def _class_counts(y: np.ndarray, classes: list[Label] | None) -> list[ClassCount]:
    if classes is not None:  # codes into the record's class table
        tally = np.bincount(y, minlength=len(classes))
        pairs = zip(classes, tally, strict=True)
        return [ClassCount(label=label, count=int(n)) for label, n in pairs]
    # A dataset stored before targets were encoded holds the labels themselves.
    labels, tally = np.unique(y, return_counts=True)
    pairs = zip(labels, tally, strict=True)
    return [ClassCount(label=_plain(label), count=int(n)) for label, n in pairs]


def _plain(value: Any) -> Any:
    """A numpy scalar as the JSON value a person would write: float32's 0.1 stays 0.1
    (not 0.10000000149011612), integers stay integers."""
    if isinstance(value, np.floating):
        return float(str(value)) if value.dtype == np.float32 else float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
