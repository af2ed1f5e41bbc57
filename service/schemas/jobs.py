"""Jobs: the request that starts one, and the public job."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)

from engine import MLPParams
from service.callbacks.target import MAX_URL_CHARS, parse_callback_url
from service.schemas.common import Name, Tags
from service.schemas.evaluation import Evaluation, evaluation_public
from service.schemas.history import EpochMetrics, epoch_metrics
from service.schemas.params import Params
from store import JobRecord, JobStatus
from store.records import CallbackStatus

Device = Literal["auto", "cpu", "gpu"]
TaskName = Literal["classification", "regression"]


class JobCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "dataset_id": "ds_…",
                    "task": "classification",
                    "params": {"hidden_layer_sizes": [16], "max_iter": 200, "random_state": 0},
                    "name": "first try",
                    "tags": ["baseline"],
                }
            ]
        },
    )

    dataset_id: str = Field(description="The dataset to train on.")
    task: TaskName | None = Field(
        None, description="Default: classification for categorical targets, else regression."
    )
    params: Params = Field(
        default_factory=MLPParams,
        description="scikit-learn MLPClassifier/MLPRegressor parameters; unknown keys are refused.",
    )
    max_runtime_secs: int | None = Field(
        None,
        gt=0,
        strict=True,  # not `true` for 1 second
        description="Wall-clock limit; the job fails with 'time limit' past it.",
    )
    device: Device = "auto"
    name: Name | None = None
    tags: Tags = Field(default_factory=list)
    test_dataset_id: str | None = Field(
        None,
        max_length=64,
        description="A dataset of the same width (for classification, with classes the "
        "training data has) scored when the job succeeds: `evaluation.test`.",
    )
    init_model_id: str | None = Field(
        None,
        max_length=64,
        description="Continue training this model: its weights, its solver's state (Adam's "
        "moments, the step count, the schedule) and its standardization. hidden_layer_sizes, "
        "activation (and a regression loss) must be the model's or left out (then inherited); "
        "max_iter counts this job's epochs. The dataset may differ if it is as wide and, for "
        "classification, its classes are the model's (or some of them). The new model names "
        "it as `parent_model_id`.",
        examples=["mdl_0193a7b2c3d4e5f6a7b8c9d0"],
    )
    # The keys the request's params named (the rest are defaults): a continued job inherits
    # the architecture it does not name.
    _given_params: frozenset[str] = PrivateAttr(default_factory=frozenset)
    callback_url: str | None = Field(
        None,
        max_length=MAX_URL_CHARS,
        description="When the job ends (succeeded, failed or cancelled), this URL is POSTed the "
        "job's final body, signed (header `X-Mlpforge-Signature: t=<unix>,v1=<HMAC-SHA256 hex "
        "of '<t>.<body>'>`, with the tenant's secret). http or https, on a host the server "
        "allows (MLPFORGE_CALLBACK_HOSTS; none by default), without credentials. Retried with "
        "backoff on network errors, 408, 429 and 5xx; the outcome shows in `callback`.",
        examples=["https://hooks.example.com/mlpforge"],
    )

    @field_validator("callback_url")
    @classmethod
    def _callback_url_well_formed(cls, value: str | None) -> str | None:
        if value is not None:
            parse_callback_url(value)  # ValueError: a 422 naming callback_url
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _remember_given_params(
        cls, data: Any, handler: ModelWrapValidatorHandler[JobCreate]
    ) -> JobCreate:
        job = handler(data)
        params = data.get("params") if isinstance(data, dict) else None
        if isinstance(params, dict):
            job._given_params = frozenset(params)
        return job

    @property
    def given_params(self) -> frozenset[str]:
        """The parameter names the request gave (the others are defaults)."""
        return self._given_params

    @field_validator("params", mode="before")
    @classmethod
    def _params_as_the_engine_checks_them(cls, value: Any) -> Any:
        """Build the params with the engine's own checks, before pydantic's lax coercion
        can turn `false` into 0 or `true` into 1 (which the engine refuses, as scikit-learn
        does). Unknown keys are left to pydantic, which names each one."""
        if isinstance(value, dict) and value.keys() <= set(MLPParams.__dataclass_fields__):
            return MLPParams(**value)
        return value


class JobErrorPublic(BaseModel):
    type: str = Field(examples=["DivergenceError"])
    message: str


class CallbackPublic(BaseModel):
    status: CallbackStatus = Field(
        description="pending (not yet delivered; retried with backoff), delivered (the "
        "receiver answered 2xx) or failed (given up)."
    )
    attempts: int
    last_status_code: int | None = Field(None, description="The receiver's last answer.")
    last_error: str | None = Field(None, description="Why the last attempt failed.")


class FoldPublic(BaseModel):
    k: int = Field(description="Folds of the search's cross-validation.")
    index: int = Field(description="The fold held out (0-based): evaluation.held_out.")


class JobPublic(BaseModel):
    """A training job as the API shows it."""

    id: str = Field(examples=["job_0193a7b2c3d4e5f6a7b8c9d0"])
    status: JobStatus
    progress: float = Field(
        ge=0.0, le=1.0, description="Epochs done / max_iter; 1.0 once succeeded."
    )
    epoch: int = Field(description="Finished epochs.")
    dataset_id: str
    test_dataset_id: str | None = None
    init_model_id: str | None = Field(
        None, description="The model this job continues training (its model's parent)."
    )
    task: TaskName
    params: dict[str, Any] = Field(
        description="The resolved parameters: every default filled in, 'auto' resolved."
    )
    metrics: EpochMetrics | None = Field(None, description="The latest epoch's.")
    evaluation: Evaluation | None = Field(
        None, description="Once succeeded: scores per split in the target's units."
    )
    converged: bool | None = Field(
        None,
        description="Once succeeded: false when max_iter ended training before the stopping "
        "rule (tol, n_iter_no_change) did, as scikit-learn's ConvergenceWarning; see warnings.",
    )
    device: Device = Field(
        description="What the job runs on: the requested device until a worker starts it, "
        "then the one it actually trains on (cpu or gpu)."
    )
    requested_device: Device | None = Field(None, description="The device the job asked for.")
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    model_id: str | None = Field(None, description="Once succeeded: the trained model.")
    error: JobErrorPublic | None = Field(None, description="Once failed: what went wrong.")
    warnings: list[str] = Field(
        default_factory=list,
        description="Things to know: no GPU worker alive, max_iter reached without "
        "converging, a test set that could not be scored.",
    )
    max_runtime_secs: int
    callback_url: str | None = None
    callback: CallbackPublic | None = Field(
        None, description="Once the job has ended: the delivery of its callback."
    )
    request_id: str | None = Field(
        None, description="The X-Request-ID of the request that created the job (in the logs)."
    )
    search_id: str | None = Field(None, description="The search this job is a trial of.")
    fold: FoldPublic | None = Field(
        None, description="A cross-validated trial: the fold it is scored on (`held_out`)."
    )
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None


def job_public(job: JobRecord) -> JobPublic:
    return JobPublic(
        id=job.id,
        status=job.status,
        progress=job.progress,
        epoch=job.epoch,
        dataset_id=job.dataset_id,
        test_dataset_id=job.test_dataset_id,
        init_model_id=job.init_model_id,
        task=job.task,
        params=job.params,
        metrics=epoch_metrics(job.metrics),
        evaluation=evaluation_public(job.evaluation, job.task),
        converged=job.converged,
        device=job.device,
        requested_device=job.requested_device,
        name=job.name,
        tags=job.tags,
        model_id=job.model_id,
        error=None
        if job.error is None
        else JobErrorPublic(type=job.error.type, message=job.error.message),
        warnings=job.warnings,
        max_runtime_secs=job.max_runtime_secs,
        callback_url=job.callback_url,
        callback=None if job.callback is None else CallbackPublic(**job.callback.model_dump()),
        request_id=job.request_id,
        search_id=job.search_id,
        fold=None if job.fold is None else FoldPublic(k=job.fold.k, index=job.fold.index),
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
