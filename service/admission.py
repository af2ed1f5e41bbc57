"""What a job request must satisfy before it is stored and queued."""

from __future__ import annotations

from typing import Any

from engine import MLPParams, count_parameters
from mlpforge.settings import Settings
from service.errors import ApiError
from service.schemas import JobCreate
from store import DatasetRecord


def _invalid(loc: list[Any], msg: str) -> ApiError:
    where = ".".join(str(p) for p in loc)
    return ApiError(422, f"{where}: {msg}", errors=[{"loc": loc, "msg": msg}])


def choose_task(body: JobCreate, dataset: DatasetRecord) -> str:
    task = body.task or ("classification" if dataset.target_kind == "categorical" else "regression")
    if (
        task == "regression"
        and dataset.classes is not None
        and any(isinstance(c, str | bool) for c in dataset.classes)
    ):
        raise _invalid(
            ["body", "task"],
            "regression needs numeric targets; this dataset's targets are labels "
            f"({', '.join(map(str, dataset.classes[:5]))}…); use task 'classification'",
        )
    if task == "classification" and dataset.n_distinct_targets < 2:
        raise _invalid(["body", "task"], "classification needs at least 2 distinct target values")
    return task


def resolve_params(
    body: JobCreate, task: str, dataset: DatasetRecord, settings: Settings
) -> MLPParams:
    params = body.params
    try:
        resolved = params.resolve(task, dataset.n_samples)  # type: ignore[arg-type]
    except ValueError as error:
        field = str(error).split(":", 1)[0]
        loc = ["body", "params", field] if field in MLPParams.__dataclass_fields__ else ["body"]
        raise _invalid(loc, str(error)) from None
    if resolved.max_iter > settings.max_epochs:
        raise _invalid(
            ["body", "params", "max_iter"],
            f"at most {settings.max_epochs} epochs are allowed (MLPFORGE_MAX_EPOCHS)",
        )
    # The requested size, before it is clipped to the dataset: the limit is on what is asked.
    requested = params.batch_size
    if isinstance(requested, int) and requested > settings.max_batch_size:
        raise _invalid(
            ["body", "params", "batch_size"],
            f"at most {settings.max_batch_size} (MLPFORGE_MAX_BATCH_SIZE)",
        )
    n_classes = dataset.n_distinct_targets
    n_outputs = (1 if n_classes == 2 else n_classes) if task == "classification" else 1
    n_parameters = count_parameters(dataset.n_features, resolved.hidden_layer_sizes, n_outputs)
    if n_parameters > settings.max_parameters:
        raise _invalid(
            ["body", "params", "hidden_layer_sizes"],
            f"this network has {n_parameters:,} parameters; the limit is "
            f"{settings.max_parameters:,} (MLPFORGE_MAX_PARAMETERS)",
        )
    return resolved


def runtime_limit(body: JobCreate, settings: Settings) -> int:
    if body.max_runtime_secs is None:
        return min(settings.default_runtime_secs, settings.max_runtime_secs)
    if body.max_runtime_secs > settings.max_runtime_secs:
        raise _invalid(
            ["body", "max_runtime_secs"],
            f"at most {settings.max_runtime_secs} seconds (MLPFORGE_MAX_RUNTIME_SECS)",
        )
    return body.max_runtime_secs
