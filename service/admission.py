"""What a job request must satisfy before it is stored and queued."""

from __future__ import annotations

from typing import Any

from engine import MLPParams, count_parameters
from engine.architecture import n_outputs_for
from engine.cost import epoch_work
from engine.errors import ParamError
from engine.lbfgs import chunk_rows
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
    if task == "classification" and dataset.n_targets > 1 and dataset.classes is None:
        raise invalid(
            ["body", "task"],
            f"classifying a target of {dataset.n_targets} columns is multilabel classification, "
            "which needs 0/1 values (one column per label); this dataset's targets hold other "
            "numbers: use task 'regression' (multi-output)",
        )
    if task == "classification" and dataset.n_targets == 1 and dataset.n_distinct_targets < 2:
        raise invalid(["body", "task"], "classification needs at least 2 distinct target values")
    return task


def n_outputs(task: str, dataset: DatasetRecord) -> int:
    """The network's output units: one per target column (multilabel: per label), else one
    logistic unit for two classes, one per class above, one for a single regression target."""
    if dataset.n_targets > 1:
        return dataset.n_targets
    return n_outputs_for(task, dataset.n_distinct_targets, 1)  # type: ignore[arg-type]


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
    if test.n_targets != dataset.n_targets:
        raise invalid(
            loc,
            f"the test dataset has {test.n_targets} target column(s); the training dataset has "
            f"{dataset.n_targets}",
        )
    if dataset.n_targets > 1:  # multilabel: both 0/1 matrices; regression: any numbers
        if task == "classification" and test.classes is None:
            raise invalid(loc, "multilabel scoring needs 0/1 targets; the test dataset's differ")
        return
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
    body: JobCreate,
    task: str,
    dataset: DatasetRecord,
    settings: Settings,
    *,
    outputs: int | None = None,
) -> MLPParams:
    """The params with every default and 'auto' resolved, once the request is known to be
    one that can run: within every limit, and trainable on this dataset. ``outputs``: the
    network's output units when a model fixes them (a continued job), else the dataset's."""
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
    _check_network(resolved, dataset, settings, outputs or n_outputs(task, dataset))
    n_classes = dataset.n_distinct_targets if task == "classification" else 0
    if dataset.n_targets > 1:
        n_classes = 0  # multilabel: early stopping's split is not stratified
    try:
        check_trainable(resolved, task, dataset.n_samples, n_classes)  # type: ignore[arg-type]
    except ParamError as error:
        raise invalid(_param_loc(error.field), error.message) from None
    except ValueError as error:
        raise invalid(["body", "dataset_id"], str(error)) from None
    return resolved


def _check_network(
    resolved: MLPParams, dataset: DatasetRecord, settings: Settings, n_outputs: int
) -> None:
    """Size, depth and the work of one epoch: a network that would hold a worker for hours
    per epoch (or a 100,000-layer one, which numpy runs at ~15 µs per layer and batch) is
    refused before it is queued. An lbfgs "epoch" is one iteration: a full-batch evaluation of
    the loss and its gradient, in row chunks (engine/lbfgs.py)."""
    hidden = resolved.hidden_layer_sizes
    loc = ["body", "params", "hidden_layer_sizes"]
    if len(hidden) > settings.max_layers:
        raise invalid(
            loc,
            f"{len(hidden):,} hidden layers; at most {settings.max_layers} are allowed "
            "(MLPFORGE_MAX_LAYERS)",
        )
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
    n_train = max(1, n_train)
    batch = int(resolved.batch_size)
    if resolved.solver == "lbfgs":
        batch = chunk_rows(n_train, max(n_outputs, *hidden))
    work = epoch_work(n_train, dataset.n_features, hidden, n_outputs, batch)
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
