"""The stored shape of each resource; the API returns these as they are."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
TargetKind = Literal["categorical", "continuous"]
Label = bool | int | float | str


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DatasetRecord(Record):
    id: str = Field(examples=["ds_0193a7b2c3d4e5f6a7b8c9d0"])
    name: str | None = Field(None, examples=["iris"])
    n_samples: int = Field(examples=[150])
    n_features: int = Field(examples=[4])
    feature_names: list[str] = Field(examples=[["sepal_length", "sepal_width"]])
    target_name: str | None = None
    target_kind: TargetKind
    classes: list[Label] | None = Field(
        None,
        examples=[["setosa", "versicolor", "virginica"]],
        # Stored once here: the dataset's targets are kept as indices into this list.
        description="The sorted distinct target values of a categorical dataset.",
    )
    n_distinct_targets: int = Field(
        0, description="Distinct target values (classes if classified)."
    )
    sha256: str
    size_bytes: int = 0
    created_at: str


class JobError(Record):
    type: str = Field(examples=["DivergenceError"])
    message: str


class EpochMetrics(Record):
    epoch: int
    loss: float
    val_loss: float | None = None
    val_score: float | None = None
    learning_rate: float
    seconds: float


class JobRecord(Record):
    id: str = Field(examples=["job_0193a7b2c3d4e5f6a7b8c9d0"])
    status: JobStatus = "queued"
    progress: float = Field(0.0, ge=0.0, le=1.0)
    epoch: int = 0
    dataset_id: str
    task: Literal["classification", "regression"]
    params: dict[str, Any]
    metrics: dict[str, float | None] | None = None
    model_id: str | None = None
    error: JobError | None = None
    max_runtime_secs: int
    device: Literal["auto", "cpu", "gpu"] = Field(
        "auto",
        description="What the job runs on: the requested device until a worker starts it, "
        "then the one it actually trains on (cpu or gpu).",
    )
    requested_device: Literal["auto", "cpu", "gpu"] | None = Field(
        None, description="The device the job asked for."
    )
    warnings: list[str] = Field(
        default_factory=list, description="Things the submitter should know, e.g. no GPU worker."
    )
    queue: str = "cpu"
    attempts: int = 0
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class ModelRecord(Record):
    id: str = Field(examples=["mdl_0193a7b2c3d4e5f6a7b8c9d0"])
    job_id: str
    dataset_id: str
    task: Literal["classification", "regression"]
    n_features: int
    feature_names: list[str] | None = None
    classes: list[Label] | None = None
    hidden_layer_sizes: list[int]
    activation: str
    n_parameters: int
    metrics: dict[str, float | None] = Field(default_factory=dict)
    dataset_sha256: str
    size_bytes: int = 0
    created_at: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a newest-first listing."""

    data: list[T]
    next_cursor: str | None = None
