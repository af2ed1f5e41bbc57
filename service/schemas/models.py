"""Models: the public model, and the bodies of predict."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.evaluation import Evaluation, evaluation_public
from service.schemas.history import EpochMetrics, epoch_metrics
from service.schemas.jobs import TaskName
from store import ModelRecord
from store.records import Label


class ModelPublic(BaseModel):
    """A trained model as the API shows it."""

    id: str = Field(examples=["mdl_0193a7b2c3d4e5f6a7b8c9d0"])
    job_id: str
    dataset_id: str
    task: TaskName
    n_features: int
    feature_names: list[str] | None = None
    classes: list[Label] | None = Field(
        None, description="Classification: the labels predictions are drawn from."
    )
    multilabel: bool = Field(
        False,
        description="A multilabel classifier: predictions are 0/1 rows, one column per label "
        "(`classes` are the label indices, `target_names` their names when the dataset gave "
        "them).",
    )
    n_targets: int = Field(
        1, description="Columns of a prediction: labels (multilabel) or regression targets."
    )
    target_names: list[str] | None = Field(
        None, description="The names of the training dataset's target columns, when given."
    )
    hidden_layer_sizes: list[int]
    activation: str
    params: dict[str, Any] | None = Field(
        None, description="The resolved parameters it was trained with."
    )
    parent_model_id: str | None = Field(
        None, description="The model it continued training from (its job's init_model_id)."
    )
    n_parameters: int = Field(description="Weights and biases.")
    metrics: EpochMetrics = Field(description="The last epoch's.")
    evaluation: Evaluation | None = Field(
        None, description="Scores per split, as the job that trained it reports them."
    )
    dataset_sha256: str = Field(description="The sha256 of the dataset it was trained on.")
    name: str | None = Field(None, description="The job's name when it was published.")
    tags: list[str] = Field(
        default_factory=list, description="The job's tags when it was published."
    )
    created_at: str


def model_public(model: ModelRecord) -> ModelPublic:
    return ModelPublic(
        id=model.id,
        job_id=model.job_id,
        dataset_id=model.dataset_id,
        task=model.task,
        n_features=model.n_features,
        feature_names=model.feature_names,
        classes=model.classes,
        multilabel=model.multilabel,
        n_targets=model.n_outputs if model.multilabel or model.task == "regression" else 1,
        target_names=model.target_names,
        hidden_layer_sizes=model.hidden_layer_sizes,
        activation=model.activation,
        params=model.params,
        parent_model_id=model.parent_model_id,
        n_parameters=model.n_parameters,
        metrics=epoch_metrics(model.metrics) or EpochMetrics(),
        evaluation=evaluation_public(model.evaluation, model.task),
        dataset_sha256=model.dataset_sha256,
        name=model.name,
        tags=model.tags,
        created_at=model.created_at,
    )


class PredictRequest(BaseModel):
    """Rows to predict (documented here; parsed with orjson and numpy for speed)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"inputs": [[0.0, 1.0], [1.0, 1.0]]}]}
    )

    inputs: list[list[float]] | None = Field(None, description="Rows of raw feature values.")
    instances: list[list[float]] | None = Field(None, description="Alias of inputs (KServe V1).")


class Prediction(BaseModel):
    predictions: list[Any] = Field(
        description="One per row: the label (classification), 0/1 per label (multilabel: a "
        "row of `classes`' length), the value (regression) or one value per target."
    )
    probabilities: list[list[float]] | None = Field(
        None,
        description="Classification: per row, each class's probability (multilabel: each "
        "label's own probability, independent of the others).",
    )
    classes: list[Any] | None = Field(
        None, description="The classes, in the order of `probabilities` (multilabel: 0..k-1)."
    )
