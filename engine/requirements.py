"""What the data must offer for a fit to be possible, checked before a fit is even queued.

The trainer finds the same problems (engine/splitting.py, engine/validation.py), but only once
a worker has loaded the data; a service that knows the data's size can refuse the job first.
(Whether each class of a binary target has the two rows its stratified split needs is only
known to the trainer.)
"""

from __future__ import annotations

from engine.params import MLPParams, Task, validation_size
from engine.splitting import check_split

MIN_SAMPLES = 1


def check_trainable(params: MLPParams, task: Task, n_samples: int, n_classes: int) -> None:
    """Raise ParamError (naming the parameter) or ValueError (the data) if a fit of ``params``
    on ``n_samples`` rows (with ``n_classes`` classes, for classification) cannot succeed."""
    if n_samples < MIN_SAMPLES:
        raise ValueError(
            f"the dataset has {n_samples} row(s); training needs at least {MIN_SAMPLES}"
        )
    if not params.early_stopping or params.solver == "lbfgs":
        return
    n_val = validation_size(n_samples, params.validation_fraction)
    binary = task == "classification" and n_classes == 2  # split stratified, as scikit-learn
    check_split(n_samples, n_val, params.validation_fraction, 2 if binary else 0)
