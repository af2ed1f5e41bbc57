"""What the data must offer for a fit to be possible, checked before a fit is even queued.

The trainer finds the same problems (engine/splitting.py, engine/validation.py), but only once
a worker has loaded the data; a service that knows the data's size can refuse the job first.
"""

from __future__ import annotations

from engine.errors import ParamError
from engine.params import MLPParams, Task, validation_size

MIN_SAMPLES = 2


def check_trainable(params: MLPParams, task: Task, n_samples: int, n_classes: int) -> None:
    """Raise ParamError (naming the parameter) or ValueError (the data) if a fit of ``params``
    on ``n_samples`` rows (with ``n_classes`` classes, for classification) cannot succeed."""
    if n_samples < MIN_SAMPLES:
        raise ValueError(
            f"the dataset has {n_samples} row(s); training needs at least {MIN_SAMPLES}"
        )
    if not params.early_stopping:
        return
    wanted = validation_size(n_samples, params.validation_fraction)
    # As engine/splitting.py splits: a stratified split holds out fewer rows rather than take
    # the last row of a class; a plain one holds out exactly `wanted`.
    held_out = min(wanted, n_samples - n_classes) if task == "classification" else wanted
    if held_out >= n_samples:
        raise ParamError(
            "validation_fraction",
            f"early stopping with validation_fraction={params.validation_fraction:g} holds out "
            f"{wanted} of the {n_samples} rows, which leaves none for training; use more data, "
            "a smaller validation_fraction, or early_stopping=false",
        )
    if held_out < 1:
        raise ParamError(
            "validation_fraction",
            f"early stopping needs rows to hold out, but each of the {n_classes} classes must "
            f"keep a row for training and the dataset has only {n_samples} rows; use more "
            "data or early_stopping=false",
        )
