"""Continuing a fitted model: what may change, and which of its training state carries over.

A continued fit keeps the architecture (layer sizes, activation, the output layer its loss
implies), the classes and the standardization statistics of the model; the data may differ if
its width (and, for classification, its labels) fit. It starts from the model's weights and,
by default, continues the solver where it stopped (Adam's moments and step count, sgd's
velocity, the learning-rate schedule) and the count of samples seen (``t_``). The stopping
rule starts afresh unless asked (scikit-learn's ``partial_fit`` carries it between calls).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from engine.dataset import Encoding
from engine.errors import ParamError
from engine.losses import output_activation_for_loss
from engine.model import FittedModel, TrainingState
from engine.params import MLPParams

if TYPE_CHECKING:
    from engine.trainer import Trainer


def continued_params(model: FittedModel, params: MLPParams | None) -> MLPParams:
    """``params`` (default: the model's) checked against the model: same layers, activation and
    output layer; ``standardize`` follows the model (its statistics are reused)."""
    params = model.params if params is None else params
    if params.hidden_layer_sizes != model.hidden_layer_sizes:
        raise ParamError(
            "hidden_layer_sizes",
            f"continuing a model keeps its layers {list(model.hidden_layer_sizes)}, "
            f"got {list(params.hidden_layer_sizes)}",
        )
    activation = "logistic" if params.activation == "sigmoid" else params.activation
    if activation != model.activation:
        raise ParamError(
            "activation",
            f"continuing a model keeps its activation {model.activation!r}, got {activation!r}",
        )
    loss = params.loss or model.params.loss or "squared_error"
    if model.task == "regression" and (
        output_activation_for_loss(loss, model.n_outputs_) != model.output_activation
    ):
        raise ParamError(
            "loss",
            f"loss {loss!r} needs another output layer than the model's "
            f"({model.output_activation}); continue with loss {model.params.loss!r}",
        )
    return replace(params, standardize=model.standardized)


def encoding(model: FittedModel) -> Encoding:
    """What the continued fit's data must be encoded with: the model's classes and statistics."""
    return Encoding(
        model.classes_,
        model.multilabel,
        model.n_features_in_,
        model.n_outputs_,
        model.x_mean_,
        model.x_scale_,
        model.y_mean_,
        model.y_scale_,
    )


def carry_over(
    trainer: Trainer, model: FittedModel, *, keep_optimizer: bool, keep_stopping: bool
) -> None:
    """Start ``trainer`` (freshly built on the new data) from ``model``'s weights and state."""
    xp, dtype = trainer.xp, trainer.dtype
    for (w, b), (W, B) in zip(model.weights(), trainer.net.layers(), strict=True):
        W[...] = xp.asarray(w.astype(dtype))
        B[...] = xp.asarray(b.astype(dtype))
    state: TrainingState | None = model.training
    if state is None:
        return
    trainer._samples_seen = state.samples_seen
    same_solver = state.solver == trainer.params.solver
    same_slots = set(state.optimizer_arrays) == set(trainer.optimizer.slots)
    if keep_optimizer and same_solver and same_slots:
        arrays = {k: xp.asarray(v.astype(dtype)) for k, v in state.optimizer_arrays.items()}
        trainer.optimizer.load_state(arrays, state.optimizer_scalars)
    if keep_optimizer and same_solver and state.schedule:
        trainer.schedule.load_state(state.schedule)
    if keep_stopping and state.stopping:
        trainer.stopping.load_state(state.stopping)
        if trainer.stopping.best_epoch is not None:
            # the model's weights are that best (restored at the end of its fit), reached
            # before this fit's first epoch
            trainer.stopping.best_epoch = 0
            if trainer.params.restore_best_weights:
                trainer._best_params = trainer.net.params.copy()
