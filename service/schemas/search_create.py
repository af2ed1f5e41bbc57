"""The request that starts a search: the space, the strategy, the objective, the limits."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    model_validator,
)

from mlpforge.search.objective import METRICS
from service.schemas.common import Name, Tags
from service.schemas.jobs import Device, TaskName

MAX_SPACE_PARAMS = 20
MAX_SPACE_VALUES = 100
MAX_VALUE_CHARS = 64
MAX_FOLDS = 20

Number = StrictInt | StrictFloat
# A value a parameter can take: JSON scalars, or a list of layer sizes (hidden_layer_sizes).
SpaceValue = (
    StrictBool
    | StrictInt
    | StrictFloat
    | Annotated[str, Field(max_length=MAX_VALUE_CHARS)]
    | None
    | Annotated[list[StrictInt], Field(max_length=100)]
)


class RangeSpec(BaseModel):
    """Values drawn from ``low`` to ``high`` (random and halving searches)."""

    model_config = ConfigDict(extra="forbid")

    low: Number
    high: Number
    log: StrictBool = Field(False, description="Log-uniform: for rates and penalties.")
    integer: StrictBool = Field(False, description="Integers, both ends included.")

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite numbers")
        if self.high < self.low or (self.high == self.low and not self.integer):
            raise ValueError(f"high ({self.high:g}) must be above low ({self.low:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low:g}")
        return self


Dimension = (
    Annotated[list[SpaceValue], Field(min_length=1, max_length=MAX_SPACE_VALUES)] | RangeSpec
)


class ObjectiveSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(max_length=32, description=f"One of {', '.join(METRICS)}.")
    goal: Literal["maximize", "minimize"] | None = Field(
        None, description="Default: minimize for val_loss, log_loss, rmse and mae, else maximize."
    )


class HalvingSpec(BaseModel):
    """scikit-learn's HalvingRandomSearchCV parameters, with epochs (max_iter) as the resource."""

    model_config = ConfigDict(extra="forbid")

    factor: Number = Field(3, gt=1, le=100, description="1/factor of each rung goes on.")
    min_resources: StrictInt | Literal["smallest", "exhaust"] = Field(
        "smallest",
        description="Epochs of the first rung: a number, 'smallest' (1) or 'exhaust' (the "
        "largest that lets the last rung reach max_resources).",
    )
    max_resources: StrictInt | None = Field(
        None, ge=1, description="Epochs of the last rung at most; default: params.max_iter."
    )
    aggressive_elimination: StrictBool = False


class SearchCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "dataset_id": "ds_…",
                    "task": "classification",
                    "params": {"hidden_layer_sizes": [32], "max_iter": 50, "random_state": 0},
                    "space": {
                        "alpha": {"low": 1e-5, "high": 1e-1, "log": True},
                        "learning_rate_init": [0.001, 0.01],
                    },
                    "strategy": "random",
                    "max_trials": 8,
                    "max_parallel": 2,
                    "objective": {"metric": "accuracy"},
                    "cv": 3,
                    "random_state": 0,
                }
            ]
        },
    )

    dataset_id: str = Field(max_length=64, description="The dataset every trial trains on.")
    task: TaskName | None = Field(
        None, description="Default: classification for categorical targets, else regression."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        max_length=64,
        description="Fixed scikit-learn MLP parameters of every trial (a space value wins).",
    )
    space: dict[str, Dimension] = Field(
        min_length=1,
        max_length=MAX_SPACE_PARAMS,
        description=f"Up to {MAX_SPACE_PARAMS} parameters, each a list of up to "
        f"{MAX_SPACE_VALUES} values or a range {{low, high, log?, integer?}}.",
    )
    strategy: Literal["grid", "random", "halving"] = "random"
    max_trials: StrictInt | None = Field(
        None,
        ge=1,
        description="Candidates to try (MLPFORGE_MAX_TRIALS at most). grid: the grid's size, "
        "refused if larger; random: default 10; halving: the first rung's candidates "
        "(scikit-learn's n_candidates; default max_resources // min_resources).",
    )
    max_parallel: StrictInt = Field(
        4, ge=1, description="Trial jobs queued or running at once, at most."
    )
    objective: ObjectiveSpec | None = Field(
        None, description="Default: accuracy (classification) or r2 (regression)."
    )
    halving: HalvingSpec | None = Field(None, description="strategy 'halving' only.")
    cv: StrictInt | None = Field(
        None,
        ge=2,
        le=MAX_FOLDS,
        description="k-fold cross-validation: each trial is k jobs, each scored on its "
        "held-out fold (stratified for classification); the objective is their mean.",
    )
    refit: StrictBool = Field(
        True,
        description="With cv: train the best candidate once more on every row; that job's "
        "model is best_model_id.",
    )
    random_state: StrictInt | None = Field(
        None, ge=0, lt=2**32, description="Seeds the candidates drawn and the folds."
    )
    max_runtime_secs: StrictInt | None = Field(None, gt=0, description="Per trial job.")
    device: Device = "auto"
    name: Name | None = None
    tags: Tags = Field(default_factory=list)
