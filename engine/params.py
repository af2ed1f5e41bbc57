"""Hyper-parameters of a fit: scikit-learn's MLP names and defaults, plus the mlpforge extras.

Validation is declarative (``PARAMETER_CONSTRAINTS``, as scikit-learn's
``_parameter_constraints``): every field lists what it accepts, and a value none of them accepts
raises ``ParamError(field, message)``. What depends on the task or the data (the loss, the
batch size, what lbfgs ignores) is decided by ``resolve``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from numbers import Integral, Real
from typing import Any, ClassVar, Literal, get_args

from engine.constraints import (
    Boolean,
    Choices,
    Constraint,
    FloatDType,
    Infinity,
    Interval,
    LayerSizes,
    Nothing,
    validate,
)
from engine.errors import ParamError

Task = Literal["classification", "regression"]
Activation = Literal["identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"]
Solver = Literal["lbfgs", "sgd", "adam", "rmsprop", "adagrad", "adamw"]
Schedule = Literal["constant", "invscaling", "adaptive", "cosine", "plateau"]
LossName = Literal["log_loss", "squared_error", "absolute_error", "huber", "poisson"]
DType = Literal["float32", "float64"]

REGRESSION_LOSSES = ("squared_error", "absolute_error", "huber", "poisson")
STOCHASTIC_SOLVERS = ("sgd", "adam", "rmsprop", "adagrad", "adamw")


def _unit(closed: str) -> list[Constraint]:
    return [Interval(Real, 0.0, 1.0, closed)]


_NON_NEGATIVE: list[Constraint] = [Interval(Real, 0.0, None, "left")]
_POSITIVE: list[Constraint] = [Interval(Real, 0.0, None, "neither")]
_AT_LEAST_ONE: list[Constraint] = [Interval(Integral, 1, None, "left")]

PARAMETER_CONSTRAINTS: dict[str, list[Constraint]] = {
    "hidden_layer_sizes": [LayerSizes()],
    "activation": [
        Choices(tuple(a for a in get_args(Activation) if a != "sigmoid"), {"sigmoid": "logistic"})
    ],
    "solver": [Choices(get_args(Solver))],
    "alpha": _NON_NEGATIVE,
    "batch_size": [Choices(("auto",)), *_AT_LEAST_ONE],
    "learning_rate": [Choices(get_args(Schedule))],
    "learning_rate_init": _POSITIVE,
    "power_t": _NON_NEGATIVE,
    "max_iter": _AT_LEAST_ONE,
    "shuffle": [Boolean()],
    "random_state": [Nothing(), Interval(Integral, 0, 2**32, "left")],
    "tol": _NON_NEGATIVE,
    "momentum": _unit("both"),
    "nesterovs_momentum": [Boolean()],
    "early_stopping": [Boolean()],
    # 0 is valid as in scikit-learn: it only matters (and fails) with early stopping on
    "validation_fraction": _unit("left"),
    "beta_1": _unit("left"),
    "beta_2": _unit("left"),
    "epsilon": _POSITIVE,
    "n_iter_no_change": [*_AT_LEAST_ONE, Infinity()],
    "max_fun": _AT_LEAST_ONE,
    "rho": _unit("left"),
    "weight_decay": _NON_NEGATIVE,
    "l1": _NON_NEGATIVE,
    "dropout": _unit("left"),
    "clip_grad_norm": [Nothing(), *_POSITIVE],
    "standardize": [Boolean()],
    "loss": [Nothing(), Choices(get_args(LossName))],
    "restore_best_weights": [Nothing(), Boolean()],
    "dtype": [Nothing(), FloatDType()],
}


@dataclass(frozen=True)
class MLPParams:
    """Everything that decides a fit. Validated on construction: a bad value raises
    ``ParamError`` (a ValueError) whose message starts with the field's name.

    The meanings are scikit-learn's; the extras are documented in docs/engine-vs-scikit-learn.md.
    ``n_iter_no_change`` takes ``inf`` (or "inf") for "never stop on patience". ``dtype`` None
    trains in float32 with the stochastic solvers (the service's choice: half the memory and
    twice the speed) and in float64 with lbfgs (as scikit-learn's L-BFGS runs).
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    hidden_layer_sizes: tuple[int, ...] = (100,)
    activation: Activation = "relu"
    solver: Solver = "adam"
    alpha: float = 0.0001
    batch_size: int | Literal["auto"] = "auto"
    learning_rate: Schedule = "constant"
    learning_rate_init: float = 0.001
    power_t: float = 0.5
    max_iter: int = 200
    shuffle: bool = True
    random_state: int | None = None
    tol: float = 1e-4
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    early_stopping: bool = False
    validation_fraction: float = 0.1
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    n_iter_no_change: int | float = 10
    max_fun: int = 15000
    rho: float = 0.9
    weight_decay: float = 0.01
    l1: float = 0.0
    dropout: float = 0.0
    clip_grad_norm: float | None = None
    standardize: bool = True
    loss: LossName | None = None
    restore_best_weights: bool | None = None
    dtype: DType | None = None

    def __post_init__(self) -> None:
        for name, constraints in PARAMETER_CONSTRAINTS.items():
            object.__setattr__(self, name, validate(name, getattr(self, name), constraints))

    def resolve(self, task: Task, n_samples: int) -> MLPParams:
        """A copy with every choice made for this task and data size: exactly what the Trainer
        uses. ``n_samples`` is the size of the whole data set; with early stopping the batch
        size is resolved against the training split (as scikit-learn does).

        lbfgs uses no mini-batches and no validation split (scikit-learn ignores batch_size and
        early_stopping with it): batch_size resolves to the whole data set, early_stopping to
        False. Its loss must be deterministic, so it refuses dropout.
        """
        if task not in get_args(Task):
            raise ParamError("task", f"must be 'classification' or 'regression', got {task!r}")
        early_stopping = self.early_stopping
        if self.solver == "lbfgs":
            early_stopping = False
            if self.dropout:
                raise ParamError(
                    "dropout",
                    "solver 'lbfgs' needs a deterministic loss; use dropout 0 or a "
                    "stochastic solver (sgd, adam, ...)",
                )
        n_train = n_samples
        if early_stopping:
            n_train = n_samples - validation_size(n_samples, self.validation_fraction)
        n_train = max(1, n_train)
        if self.solver == "lbfgs" or self.batch_size == "auto":
            batch_size = n_train if self.solver == "lbfgs" else min(200, n_train)
        else:
            batch_size = min(max(1, int(self.batch_size)), n_train)
        restore = early_stopping if self.restore_best_weights is None else self.restore_best_weights
        if self.solver == "lbfgs":
            restore = False  # its iterates only ever lower the loss: the last one is the best
        dtype: DType = self.dtype or ("float64" if self.solver == "lbfgs" else "float32")
        return replace(
            self,
            batch_size=batch_size,
            loss=_resolve_loss(task, self.loss),
            early_stopping=early_stopping,
            restore_best_weights=restore,
            activation="logistic" if self.activation == "sigmoid" else self.activation,
            dtype=dtype,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists; an infinite patience becomes "inf")."""
        out = asdict(self)
        out["hidden_layer_sizes"] = list(self.hidden_layer_sizes)
        if out["n_iter_no_change"] == math.inf:
            out["n_iter_no_change"] = "inf"
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MLPParams:
        """Build from a dict like ``to_dict()``'s; unknown keys raise a ValueError naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown parameter(s): {', '.join(unknown)}")
        return cls(**d)


def _resolve_loss(task: Task, loss: LossName | None) -> LossName:
    if task == "classification":
        if loss not in (None, "log_loss"):
            raise ParamError("loss", f"classification uses 'log_loss', got {loss!r}")
        return "log_loss"
    if loss is None:
        return "squared_error"
    if loss not in REGRESSION_LOSSES:
        raise ParamError(
            "loss", f"regression uses one of {', '.join(REGRESSION_LOSSES)}, got {loss!r}"
        )
    return loss


def validation_size(n_samples: int, validation_fraction: float) -> int:
    """Samples held out for early stopping: ceil(fraction * n), as scikit-learn's split."""
    return math.ceil(validation_fraction * n_samples)
