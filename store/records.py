"""The stored shape of each resource.

The API never returns these as they are: service.schemas builds its public shapes from them,
field by field, so that bookkeeping (``attempts``, ``queue``, ``size_bytes``) stays out of the
API and a change here is not an API change.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
# Defined once, here: the ingest, the store, the worker and the API's schemas all use these.
TargetKind = Literal["categorical", "continuous"]
Label = bool | int | float | str
# A split's scores ({"n_samples": 120, "accuracy": 0.93, ...}) per split name ("train", ...).
Evaluation = dict[str, dict[str, float | int | None]]
# Where a dataset's arrays or a model's weights are kept (store.blobs); "redis" for records
# written before blobs could live elsewhere.
BlobKind = Literal["redis", "file", "s3"]


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
    # A multi-column target (y stored 2-D): how many columns, and their names if given.
    n_targets: int = 1
    target_names: list[str] | None = None
    # Per-row sample weights, stored beside X and y (store.keys.dataset_w).
    has_weights: bool = False
    weights_column: str | None = None
    sha256: str
    size_bytes: int = 0
    # X's dtype as stored (an .npz keeps its own; JSON and CSV are float32).
    dtype: str = "float32"
    blob_store: BlobKind = "redis"
    created_at: str


class JobError(Record):
    type: str = Field(examples=["DivergenceError"])
    message: str


CallbackStatus = Literal["pending", "delivered", "failed"]


class CallbackState(Record):
    """Where the delivery of a job's callback stands (service.callbacks)."""

    status: CallbackStatus = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None


class FoldSpec(Record):
    """A search trial's cross-validation fold: train on every fold but ``index`` of ``k``,
    score the model on fold ``index`` (mlpforge.search.folds; ``seed`` shuffles the rows)."""

    k: int
    index: int
    seed: int


class JobRecord(Record):
    id: str = Field(examples=["job_0193a7b2c3d4e5f6a7b8c9d0"])
    status: JobStatus = "queued"
    progress: float = Field(0.0, ge=0.0, le=1.0)
    epoch: int = 0
    dataset_id: str
    task: Literal["classification", "regression"]
    params: dict[str, Any]
    metrics: dict[str, float | None] | None = None
    evaluation: Evaluation | None = None
    converged: bool | None = None
    model_id: str | None = None
    error: JobError | None = None
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    test_dataset_id: str | None = None
    # Continue training from this model (Trainer.from_model) instead of fresh weights.
    init_model_id: str | None = None
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
    # POSTed the job's final body when it ends (service.callbacks), and that delivery's state.
    callback_url: str | None = None
    callback: CallbackState | None = None
    # The X-Request-ID of the request that created the job: in the worker's log lines for it.
    request_id: str | None = None
    # A trial of a hyper-parameter search (mlpforge.search), and its cv fold if any.
    search_id: str | None = None
    fold: FoldSpec | None = None
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
    # Outputs beyond a single label or value: a multilabel classifier (one 0/1 column per
    # label) or a multi-output regressor; target_names are the dataset's column names.
    multilabel: bool = False
    n_outputs: int = 1
    target_names: list[str] | None = None
    # The resolved params it was trained with (a job that continues it inherits from them).
    params: dict[str, Any] | None = None
    # The model it continued training from (the job's init_model_id).
    parent_model_id: str | None = None
    metrics: dict[str, float | None] = Field(default_factory=dict)
    evaluation: Evaluation | None = None
    dataset_sha256: str
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    size_bytes: int = 0
    blob_store: BlobKind = "redis"
    created_at: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a newest-first listing."""

    data: list[T]
    next_cursor: str | None = None
