"""Datasets: the upload bodies (documented here, parsed by service.ingest) and the public
dataset."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from store import DatasetRecord
from store.records import Label, TargetKind

EXAMPLE_DATASET: dict[str, Any] = {
    "name": "xor-ish",
    "features": [[0, 0], [0, 1], [1, 0], [1, 1], [0.1, 0.9], [0.9, 0.1], [0.2, 0.1], [0.8, 0.9]],
    "targets": ["no", "yes", "yes", "no", "yes", "yes", "no", "no"],
    "feature_names": ["a", "b"],
}


class DatasetJSON(BaseModel):
    """A dataset sent inline as JSON (documented here; parsed by `service.ingest` for speed)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_DATASET]})

    name: str | None = None
    features: list[list[float]] = Field(description="One row per sample, all of the same width.")
    targets: list[float | int | str | bool] | list[list[float]] = Field(
        description="One target per row; or one row of numbers per sample, all of the same "
        "width, for a multi-column target: 0/1 columns (one per label) are a multilabel target "
        "(classification) or regression targets, other numbers multi-output regression."
    )
    feature_names: list[str] | None = None
    target_names: list[str] | None = Field(
        None, description="Names of a multi-column target's columns (e.g. the labels)."
    )
    weights: list[float] | None = Field(
        None,
        description="One sample weight per row (finite, >= 0, not all 0): every job on this "
        "dataset trains and is scored with them, as scikit-learn's sample_weight.",
    )


class DatasetUpload(BaseModel):
    """A dataset file: CSV with a header row, or .npz holding X (2-D) and y (1-D, or 2-D with one
    column per target), optionally w (per-row sample weights), feature_names, target_names."""

    file: bytes = Field(json_schema_extra={"format": "binary"})
    target: str | None = Field(
        None,
        description="CSV target column; default the last column. Several, separated by commas, "
        "make a multi-column target.",
    )
    weights: str | None = Field(None, description="CSV column of per-row sample weights.")


class DatasetPublic(BaseModel):
    """A stored dataset as the API shows it."""

    id: str = Field(examples=["ds_0193a7b2c3d4e5f6a7b8c9d0"])
    name: str | None = Field(None, examples=["iris"])
    n_samples: int = Field(examples=[150])
    n_features: int = Field(examples=[4])
    feature_names: list[str] = Field(examples=[["sepal_length", "sepal_width"]])
    target_name: str | None = Field(None, description="The CSV column the target came from.")
    target_kind: TargetKind = Field(
        description="categorical: strings, booleans, or integers with at most 100 distinct "
        "values; continuous: any other numbers."
    )
    classes: list[Label] | None = Field(
        None,
        examples=[["setosa", "versicolor", "virginica"]],
        description="The sorted distinct target values of a categorical dataset.",
    )
    n_distinct_targets: int = Field(
        description="Distinct target values (the classes, if classified)."
    )
    n_targets: int = Field(
        1,
        description="Target columns: more than 1 for a multi-column target (multilabel when "
        "its values are 0/1 and the job's task is classification, else multi-output "
        "regression).",
    )
    target_names: list[str] | None = Field(
        None, description="A multi-column target's column names, when given."
    )
    has_weights: bool = Field(
        False, description="Rows carry sample weights: jobs train and score with them."
    )
    weights_column: str | None = Field(
        None, description="The CSV column the sample weights came from."
    )
    sha256: str = Field(description="Of the stored features, targets and weights.")
    dtype: str = Field(
        "float32",
        description="How the features are stored and sent to the workers: an .npz keeps its "
        "own dtype (uint8 stays uint8); JSON and CSV features are stored in the smallest of "
        "uint8, int8, uint16, int16 and int32 that holds them when all are integers within "
        "±2**24, else as float32.",
        examples=["uint8"],
    )
    created_at: str


def dataset_public(record: DatasetRecord) -> DatasetPublic:
    return DatasetPublic(
        id=record.id,
        name=record.name,
        n_samples=record.n_samples,
        n_features=record.n_features,
        feature_names=record.feature_names,
        target_name=record.target_name,
        target_kind=record.target_kind,
        classes=record.classes,
        n_distinct_targets=record.n_distinct_targets,
        n_targets=record.n_targets,
        target_names=record.target_names,
        has_weights=record.has_weights,
        weights_column=record.weights_column,
        sha256=record.sha256,
        dtype=record.dtype,
        created_at=record.created_at,
    )
