"""A job that continues a model (``init_model_id``), checked against the model at submission.

The engine refuses the same mismatches (engine/continuation.py), but only once a worker has the
data; the model's record holds what the checks need (its width, outputs, classes and params),
so a job that could never continue is a 422 naming ``init_model_id`` before it is queued.
Parameters the request leaves out that fix the network — ``hidden_layer_sizes``,
``activation``, the regression ``loss`` (its output layer) and ``standardize`` (the model's
statistics are reused) — are the model's; the others are this job's, with their defaults.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from service.admission import choose_task
from service.errors import ApiError, invalid
from service.schemas import JobCreate
from store import DatasetRecord, ModelRecord

_LOC = ["body", "init_model_id"]
# Parameters a continued job inherits when the request leaves them out.
_INHERITED = ("hidden_layer_sizes", "activation", "standardize")


def _refused(model: ModelRecord, message: str) -> ApiError:
    return invalid(_LOC, f"model {model.id} cannot be continued on this job: {message}")


def continued_job(
    body: JobCreate, model: ModelRecord, dataset: DatasetRecord
) -> tuple[JobCreate, str]:
    """The request with the model's network filled in where it left it out, and its task."""
    if body.task is not None and body.task != model.task:
        raise _refused(model, f"it is a {model.task} model; the job asks for {body.task}")
    if dataset.n_features != model.n_features:
        raise _refused(
            model,
            f"it takes {model.n_features} features; dataset {dataset.id} has {dataset.n_features}",
        )
    body = body.model_copy(update={"task": model.task})
    task = choose_task(body, dataset)
    _check_targets(model, dataset)
    return body.model_copy(update={"params": _params(body, model)}), task


def _model_params(model: ModelRecord) -> dict[str, Any]:
    known = dict(model.params or {})
    known.setdefault("hidden_layer_sizes", list(model.hidden_layer_sizes))
    known.setdefault("activation", model.activation)
    return known


def _params(body: JobCreate, model: ModelRecord) -> Any:
    given, params = body.given_params, body.params
    of_model = _model_params(model)
    inherited: dict[str, Any] = {}
    for name in _INHERITED:
        if name not in of_model:
            continue  # a model published before its params were recorded: the engine checks
        theirs = of_model[name]
        ours = getattr(params, name)
        if name == "hidden_layer_sizes":
            theirs, ours = list(theirs), list(ours)
        if name == "activation" and ours == "sigmoid":
            ours = "logistic"
        if name not in given:
            inherited[name] = tuple(theirs) if name == "hidden_layer_sizes" else theirs
        elif ours != theirs:
            raise _refused(
                model,
                f"its {name} is {theirs!r}, the job's {ours!r} (leave {name} out to keep the "
                "model's)",
            )
    if model.task == "regression":
        inherited.update(_loss(given, params.loss, of_model.get("loss"), model))
    return replace(params, **inherited)


def _loss(
    given: frozenset[str], loss: str | None, model_loss: str | None, model: ModelRecord
) -> dict[str, Any]:
    """A regression's loss decides its output layer (poisson's exp): the model's fixes it."""
    if model_loss is None:
        return {}
    if "loss" not in given:
        return {"loss": model_loss}
    if (loss == "poisson") != (model_loss == "poisson"):
        raise _refused(
            model,
            f"it was trained with loss {model_loss!r}, whose output layer loss {loss!r} does not "
            "have (poisson's is exp, the others' identity)",
        )
    return {}


def _check_targets(model: ModelRecord, dataset: DatasetRecord) -> None:
    """The dataset's targets must fit the model's outputs: as many columns, and for a
    classifier only labels it knows."""
    if model.multilabel or model.task == "regression":
        columns = model.n_outputs
        if dataset.n_targets != columns:
            raise _refused(
                model,
                f"it predicts {columns} target column(s); dataset {dataset.id} has "
                f"{dataset.n_targets}",
            )
        if model.multilabel and dataset.classes is None:
            raise _refused(model, f"it is multilabel; dataset {dataset.id}'s targets are not 0/1")
        return
    if dataset.n_targets != 1:
        raise _refused(
            model, f"it predicts one label; dataset {dataset.id} has {dataset.n_targets} targets"
        )
    if dataset.classes is None or model.classes is None:
        return  # a continuous target classified: its values are known to the worker only
    known = {(type(c), c) for c in model.classes}
    unknown = [c for c in dataset.classes if (type(c), c) not in known]
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:5])
        raise _refused(model, f"dataset {dataset.id} has classes the model does not know: {shown}")
