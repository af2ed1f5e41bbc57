"""What a job request must satisfy before it is stored and queued."""

from __future__ import annotations

from typing import Any

from engine import MLPParams, count_parameters
from engine.cost import epoch_work
from engine.errors import ParamError
from engine.params import validation_size
from engine.requirements import check_trainable
from mlpforge.settings import Settings
from service.errors import invalid
from service.schemas import JobCreate
from store import DatasetRecord


def choose_task(body: JobCreate, dataset: DatasetRecord) -> str:
    task = body.task or ("classification" if dataset.target_kind == "categorical" else "regression")
    if (
        task == "regression"
        and dataset.classes is not None
        and any(isinstance(c, str | bool) for c in dataset.classes)
    ):
        raise invalid(
            ["body", "task"],
            "regression needs numeric targets; this dataset's targets are labels "
            f"({', '.join(map(str, dataset.classes[:5]))}…); use task 'classification'",
        )
    if task == "classification" and dataset.n_distinct_targets < 2:
        raise invalid(["body", "task"], "classification needs at least 2 distinct target values")
    return task


def check_test_dataset(task: str, dataset: DatasetRecord, test: DatasetRecord) -> None:
    """A test set must be one the model can be scored on: as wide as the training data, with
    numeric targets for regression and, for classification, only classes the training data
    has. (When the training target is continuous and classified, its classes are not known
    before training: the worker checks then, and warns instead of scoring.)"""
    loc = ["body", "test_dataset_id"]
    if test.n_features != dataset.n_features:
        raise invalid(
            loc,
            f"the test dataset has {test.n_features} features; the training dataset has "
            f"{dataset.n_features}",
        )
    if task == "regression":
        if test.classes is not None and any(isinstance(c, str | bool) for c in test.classes):
            raise invalid(loc, "regression needs numeric targets; the test dataset's are labels")
        return
    if dataset.classes is None:
        return
    if test.classes is None:
        raise invalid(
            loc,
            "the test dataset's target is continuous; the model's classes are "
            f"{_shown(dataset.classes)}",
        )
    known = {(type(c), c) for c in dataset.classes}
    unknown = [c for c in test.classes if (type(c), c) not in known]
    if unknown:
        raise invalid(
            loc,
            f"the test dataset has classes the training dataset does not: {_shown(unknown)}",
        )


def _shown(labels: list[Any]) -> str:
    more = f", … ({len(labels)} in all)" if len(labels) > 5 else ""
    return ", ".join(repr(label) for label in labels[:5]) + more


def check_classes(task: str, dataset: DatasetRecord, settings: Settings) -> None:
    """Classification of a continuous target makes each distinct value a class: as many
    output units, and a class table as long, as the dataset has distinct values."""
    if task == "classification" and dataset.n_distinct_targets > settings.max_classes:
        raise invalid(
            ["body", "task"],
            f"classification would make each of this dataset's {dataset.n_distinct_targets:,} "
            f"distinct target values a class; at most {settings.max_classes:,} classes are "
            "allowed (MLPFORGE_MAX_CLASSES): use task 'regression'",
        )


def _param_loc(field: str) -> list[str]:
    return ["body", "params", field] if field in MLPParams.__dataclass_fields__ else ["body"]


def resolve_params(
    body: JobCreate, task: str, dataset: DatasetRecord, settings: Settings
) -> MLPParams:
    """The params with every default and 'auto' resolved, once the request is known to be
    one that can run: within every limit, and trainable on this dataset."""
    params = body.params
    try:
        resolved = params.resolve(task, dataset.n_samples)  # type: ignore[arg-type]
    except ParamError as error:
        raise invalid(_param_loc(error.field), error.message) from None
    if resolved.max_iter > settings.max_epochs:
        raise invalid(
            ["body", "params", "max_iter"],
            f"at most {settings.max_epochs} epochs are allowed (MLPFORGE_MAX_EPOCHS)",
        )
    # The requested size, before it is clipped to the dataset: the limit is on what is asked.
    requested = params.batch_size
    if isinstance(requested, int) and requested > settings.max_batch_size:
        raise invalid(
            ["body", "params", "batch_size"],
            f"at most {settings.max_batch_size} (MLPFORGE_MAX_BATCH_SIZE)",
        )
    check_classes(task, dataset, settings)
    _check_network(resolved, task, dataset, settings)
    n_classes = dataset.n_distinct_targets if task == "classification" else 0
    try:
        check_trainable(resolved, task, dataset.n_samples, n_classes)  # type: ignore[arg-type]
    except ParamError as error:
        raise invalid(_param_loc(error.field), error.message) from None
    except ValueError as error:
        raise invalid(["body", "dataset_id"], str(error)) from None
    return resolved


def _check_network(
    resolved: MLPParams, task: str, dataset: DatasetRecord, settings: Settings
) -> None:
    """Size, depth and the work of one epoch: a network that would hold a worker for hours
    per epoch (or a 100,000-layer one, which numpy runs at ~15 µs per layer and batch) is
    refused before it is queued."""
    hidden = resolved.hidden_layer_sizes
    loc = ["body", "params", "hidden_layer_sizes"]
    if len(hidden) > settings.max_layers:
        raise invalid(
            loc,
            f"{len(hidden):,} hidden layers; at most {settings.max_layers} are allowed "
            "(MLPFORGE_MAX_LAYERS)",
        )
    n_classes = dataset.n_distinct_targets
    n_outputs = (1 if n_classes == 2 else n_classes) if task == "classification" else 1
    n_parameters = count_parameters(dataset.n_features, hidden, n_outputs)
    if n_parameters > settings.max_parameters:
        raise invalid(
            loc,
            f"this network has {n_parameters:,} parameters; the limit is "
            f"{settings.max_parameters:,} (MLPFORGE_MAX_PARAMETERS)",
        )
    n_train = dataset.n_samples
    if resolved.early_stopping:
        n_train -= validation_size(dataset.n_samples, resolved.validation_fraction)
    work = epoch_work(
        max(1, n_train), dataset.n_features, hidden, n_outputs, int(resolved.batch_size)
    )
    if work > settings.max_epoch_work:
        raise invalid(
            loc,
            f"one epoch of this network on {dataset.n_samples:,} rows is about {work:.2g} "
            f"multiply-adds; the limit is {settings.max_epoch_work:.2g} "
            "(MLPFORGE_MAX_EPOCH_WORK): use a smaller network, fewer rows or a larger batch_size",
        )


def runtime_limit(body: JobCreate, settings: Settings) -> int:
    if body.max_runtime_secs is None:
        return min(settings.default_runtime_secs, settings.max_runtime_secs)
    if body.max_runtime_secs > settings.max_runtime_secs:
        raise invalid(
            ["body", "max_runtime_secs"],
            f"at most {settings.max_runtime_secs} seconds (MLPFORGE_MAX_RUNTIME_SECS)",
        )
    return body.max_runtime_secs
