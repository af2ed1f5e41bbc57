"""A trainer's result as a ``FittedModel``: weights brought to the host once, with the state a
continued fit starts from (the solver's moments, the schedule, the stopping rule, ``t_``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.model import FittedModel, TrainingState
from engine.xp import to_host

if TYPE_CHECKING:
    from engine.trainer import Trainer


def model_of(trainer: Trainer) -> FittedModel:
    data, layout = trainer.data, trainer.layout
    # lbfgs: its last accepted iterate (the network may hold a rejected trial point)
    current = trainer.net.params if trainer._iterate is None else trainer._iterate
    flat = to_host(current).astype(trainer.dtype)
    layers = [
        (flat[w].reshape(shape), flat[b])
        for w, b, shape in zip(
            layout.weight_slices(), layout.bias_slices(), layout.shapes, strict=True
        )
    ]
    opt_arrays, opt_scalars = trainer.optimizer.state()
    training = TrainingState(
        solver=trainer.params.solver,
        optimizer_arrays={k: to_host(v).copy() for k, v in opt_arrays.items()},
        optimizer_scalars=dict(opt_scalars),
        schedule=trainer.schedule.state(),
        stopping=trainer.stopping.state(),
        samples_seen=trainer._samples_seen,
    )
    restore = trainer.params.restore_best_weights
    return FittedModel(
        task=trainer.task,
        layers=layers,
        activation=trainer.params.activation,
        output_activation=trainer.output_activation,
        params=trainer.params,
        classes=data.classes,
        x_mean=data.x_mean,
        x_scale=data.x_scale,
        y_mean=data.y_mean,
        y_scale=data.y_scale,
        history=list(trainer.history),
        best_epoch=trainer.stopping.best_epoch if restore else None,
        multilabel=data.multilabel,
        training=training,
    )
