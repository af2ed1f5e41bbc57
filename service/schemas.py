"""Request bodies and the response shapes that the store's records do not already give."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine import MLPParams

EXAMPLE_DATASET: dict[str, Any] = {
    "name": "xor-ish",
    "features": [[0, 0], [0, 1], [1, 0], [1, 1], [0.1, 0.9], [0.9, 0.1], [0.2, 0.1], [0.8, 0.9]],
    "targets": ["no", "yes", "yes", "no", "yes", "yes", "no", "no"],
    "feature_names": ["a", "b"],
}


#: The OpenAPI ``headers`` of a response that names the resource it created (or replayed).
LOCATION_HEADER: dict[str, Any] = {
    "Location": {
        "description": "The URL of the resource.",
        "required": True,
        "schema": {"type": "string"},
    }
}


class DatasetJSON(BaseModel):
    """A dataset sent inline as JSON (documented here; parsed by `service.ingest` for speed)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_DATASET]})

    name: str | None = None
    features: list[list[float]] = Field(description="One row per sample, all of the same width.")
    targets: list[float | int | str | bool] = Field(description="One target per row.")
    feature_names: list[str] | None = None


class DatasetUpload(BaseModel):
    """A dataset file: CSV with a header row, or .npz holding X (2-D) and y (1-D)."""

    file: bytes = Field(json_schema_extra={"format": "binary"})
    target: str | None = Field(None, description="CSV target column; default the last column.")


class JobCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "dataset_id": "ds_…",
                    "task": "classification",
                    "params": {"hidden_layer_sizes": [16], "max_iter": 200, "random_state": 0},
                }
            ]
        },
    )

    dataset_id: str = Field(description="The dataset to train on.")
    task: Literal["classification", "regression"] | None = Field(
        None, description="Default: classification for categorical targets, else regression."
    )
    params: MLPParams = Field(
        default_factory=MLPParams,
        description="scikit-learn MLPClassifier/MLPRegressor parameters; unknown keys are refused.",
    )
    max_runtime_secs: int | None = Field(
        None,
        gt=0,
        strict=True,  # not `true` for 1 second
        description="Wall-clock limit; the job fails with 'time limit' past it.",
    )
    device: Literal["auto", "cpu", "gpu"] = "auto"

    @field_validator("params", mode="before")
    @classmethod
    def _params_as_the_engine_checks_them(cls, value: Any) -> Any:
        """Build the params with the engine's own checks, before pydantic's lax coercion
        can turn `false` into 0 or `true` into 1 (which the engine refuses, as scikit-learn
        does). Unknown keys are left to pydantic, which names each one."""
        if isinstance(value, dict) and value.keys() <= set(MLPParams.__dataclass_fields__):
            return MLPParams(**value)
        return value


class PredictRequest(BaseModel):
    """Rows to predict (documented here; parsed with orjson and numpy for speed)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"inputs": [[0.0, 1.0], [1.0, 1.0]]}]}
    )

    inputs: list[list[float]] | None = Field(None, description="Rows of raw feature values.")
    instances: list[list[float]] | None = Field(None, description="Alias of inputs (KServe V1).")


class Prediction(BaseModel):
    predictions: list[Any]
    probabilities: list[list[float]] | None = None
    classes: list[Any] | None = None


class HistoryEntry(BaseModel):
    epoch: int
    loss: float
    val_loss: float | None = None
    val_score: float | None = None
    learning_rate: float
    seconds: float


class History(BaseModel):
    history: list[HistoryEntry]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    redis: Literal["ok", "unavailable"]
    workers: int = Field(description="Live workers (each beat within the last few seconds).")
    queues: dict[str, int] = Field(
        default_factory=dict,
        description="Live workers consuming each queue; cpu and gpu are always named.",
        examples=[{"cpu": 2, "gpu": 0}],
    )


class ValidationIssue(BaseModel):
    """One problem in a request: where it is (FastAPI's ``loc``) and what is wrong."""

    loc: list[str | int] = Field(examples=[["body", "params", "max_iter"]])
    msg: str = Field(examples=["Input should be greater than 0"])
    type: str | None = Field(None, description="Machine-readable kind of validation error.")


class Problem(BaseModel):
    """RFC 9457 problem details: the ``application/problem+json`` body of every 4xx and 5xx."""

    type: str = Field(examples=["https://mlpforge.dev/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(examples=["job 'job_0193a7b2c3d4e5f6a7b8c9d0' does not exist"])
    errors: list[ValidationIssue] | None = Field(
        None, description="For invalid requests: every problem found, with its location."
    )


class NotReady(Problem):
    """``/readyz`` when Redis does not answer: a problem that also carries the readiness fields."""

    redis: Literal["unavailable"]
    workers: int
    queues: dict[str, int] = Field(default_factory=dict)
