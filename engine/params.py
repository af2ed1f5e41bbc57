"""Hyper-parameters of a fit: scikit-learn's MLP names and defaults, plus the mlpforge extras."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar, Literal, get_args

from engine.errors import ParamError

Task = Literal["classification", "regression"]
Activation = Literal["identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"]
Solver = Literal["sgd", "adam", "rmsprop", "adagrad", "adamw"]
Schedule = Literal["constant", "invscaling", "adaptive", "cosine", "plateau"]
LossName = Literal["log_loss", "squared_error", "absolute_error", "huber"]

REGRESSION_LOSSES = ("squared_error", "absolute_error", "huber")

DESCRIPTIONS: dict[str, str] = {
    "hidden_layer_sizes": "Units of each hidden layer, input side first (scikit-learn).",
    "activation": "Hidden-layer activation: identity, logistic (alias sigmoid), tanh, relu, "
    "leaky_relu (slope 0.01), elu (alpha 1), gelu (tanh approximation).",
    "solver": "Optimizer: sgd, adam (scikit-learn), rmsprop, adagrad, adamw.",
    "alpha": "L2 penalty as in scikit-learn: 0.5*alpha*||W||^2/batch_size added to each batch "
    "loss (weights only, not biases).",
    "batch_size": "Mini-batch size; 'auto' = min(200, n_samples); clipped to n_samples.",
    "learning_rate": "Learning-rate schedule, for every solver: constant; invscaling "
    "(lr/(t+1)^power_t, t = samples seen); adaptive (divide by 5 instead of stopping); cosine "
    "(to 0 at max_iter); plateau (x0.1 after max(1, n_iter_no_change//2) epochs without "
    "improvement).",
    "learning_rate_init": "Initial learning rate (step size).",
    "power_t": "Exponent of the invscaling schedule.",
    "max_iter": "Maximum number of epochs.",
    "shuffle": "Shuffle the training samples every epoch.",
    "random_state": "Seed of initialization, shuffling, validation split and dropout; same "
    "seed and data, same weights bit for bit.",
    "tol": "Improvement of the loss (or validation score) needed to reset the patience.",
    "momentum": "Momentum of sgd, in [0, 1].",
    "nesterovs_momentum": "Use Nesterov's momentum with sgd.",
    "early_stopping": "Hold out validation_fraction of the training data and stop when its "
    "score (accuracy or R^2) stops improving.",
    "validation_fraction": "Share of the training data held out for early stopping, in (0, 1).",
    "beta_1": "Adam/AdamW first-moment decay, in [0, 1).",
    "beta_2": "Adam/AdamW second-moment decay, in [0, 1).",
    "epsilon": "Numerical stabilizer of adam, adamw, rmsprop and adagrad.",
    "n_iter_no_change": "Epochs without an improvement of at least tol before stopping.",
    "rho": "RMSprop decay of the squared-gradient average, in [0, 1).",
    "weight_decay": "Decoupled weight decay of adamw (weights only).",
    "l1": "L1 penalty: l1*||W||_1/batch_size added to each batch loss (weights only).",
    "dropout": "Dropout rate of the hidden layers during training (inverted), in [0, 1).",
    "clip_grad_norm": "Rescale the whole gradient to at most this L2 norm (null: no clipping).",
    "standardize": "Standardize inputs (and regression targets) with statistics of the "
    "training split; predictions take raw inputs.",
    "loss": "log_loss for classification; squared_error (default), absolute_error or huber "
    "(delta 1 on standardized targets) for regression.",
    "restore_best_weights": "Keep the weights of the best epoch (validation score with early "
    "stopping, else training loss); default: the value of early_stopping.",
}


def _doc(name: str) -> dict[str, str]:
    return {"description": DESCRIPTIONS[name]}


@dataclass(frozen=True)
class MLPParams:
    """Everything that decides a fit. Validated on construction: a bad value raises a
    ValueError whose message starts with the field's name."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    hidden_layer_sizes: tuple[int, ...] = field(default=(100,), metadata=_doc("hidden_layer_sizes"))
    activation: Activation = field(default="relu", metadata=_doc("activation"))
    solver: Solver = field(default="adam", metadata=_doc("solver"))
    alpha: float = field(default=0.0001, metadata=_doc("alpha"))
    batch_size: int | Literal["auto"] = field(default="auto", metadata=_doc("batch_size"))
    learning_rate: Schedule = field(default="constant", metadata=_doc("learning_rate"))
    learning_rate_init: float = field(default=0.001, metadata=_doc("learning_rate_init"))
    power_t: float = field(default=0.5, metadata=_doc("power_t"))
    max_iter: int = field(default=200, metadata=_doc("max_iter"))
    shuffle: bool = field(default=True, metadata=_doc("shuffle"))
    random_state: int | None = field(default=None, metadata=_doc("random_state"))
    tol: float = field(default=1e-4, metadata=_doc("tol"))
    momentum: float = field(default=0.9, metadata=_doc("momentum"))
    nesterovs_momentum: bool = field(default=True, metadata=_doc("nesterovs_momentum"))
    early_stopping: bool = field(default=False, metadata=_doc("early_stopping"))
    validation_fraction: float = field(default=0.1, metadata=_doc("validation_fraction"))
    beta_1: float = field(default=0.9, metadata=_doc("beta_1"))
    beta_2: float = field(default=0.999, metadata=_doc("beta_2"))
    epsilon: float = field(default=1e-8, metadata=_doc("epsilon"))
    n_iter_no_change: int = field(default=10, metadata=_doc("n_iter_no_change"))
    rho: float = field(default=0.9, metadata=_doc("rho"))
    weight_decay: float = field(default=0.01, metadata=_doc("weight_decay"))
    l1: float = field(default=0.0, metadata=_doc("l1"))
    dropout: float = field(default=0.0, metadata=_doc("dropout"))
    clip_grad_norm: float | None = field(default=None, metadata=_doc("clip_grad_norm"))
    standardize: bool = field(default=True, metadata=_doc("standardize"))
    loss: LossName | None = field(default=None, metadata=_doc("loss"))
    restore_best_weights: bool | None = field(default=None, metadata=_doc("restore_best_weights"))

    def __post_init__(self) -> None:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, int) and not isinstance(sizes, bool):
            sizes = (sizes,)
        if not isinstance(sizes, list | tuple):
            raise ParamError("hidden_layer_sizes", f"expected a list of layer sizes, got {sizes!r}")
        for units in sizes:
            if not _is_int(units):
                raise ParamError(
                    "hidden_layer_sizes", f"layer sizes must be integers, got {units!r}"
                )
            if units < 1:
                raise ParamError(
                    "hidden_layer_sizes", f"every layer needs at least 1 unit, got {units}"
                )
        object.__setattr__(self, "hidden_layer_sizes", tuple(int(u) for u in sizes))

        _choice("activation", self.activation, get_args(Activation))
        _choice("solver", self.solver, get_args(Solver))
        _choice("learning_rate", self.learning_rate, get_args(Schedule))
        if self.loss is not None:
            _choice("loss", self.loss, get_args(LossName))

        if self.batch_size != "auto":
            if not _is_int(self.batch_size):
                raise ParamError(
                    "batch_size", f"expected a positive integer or 'auto', got {self.batch_size!r}"
                )
            if self.batch_size < 1:
                raise ParamError("batch_size", f"must be at least 1, got {self.batch_size}")

        for name in ("max_iter", "n_iter_no_change"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ParamError(name, f"must be an integer >= 1, got {value!r}")
        if self.random_state is not None and (
            not _is_int(self.random_state) or not 0 <= self.random_state < 2**32
        ):
            raise ParamError(
                "random_state",
                f"must be None or an integer in [0, 2**32), got {self.random_state!r}",
            )

        self._real("alpha", low=0.0)
        self._real("learning_rate_init", low=0.0, low_open=True)
        self._real("power_t", low=0.0)
        self._real("tol", low=0.0)
        self._real("momentum", low=0.0, high=1.0)
        self._real("validation_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
        self._real("beta_1", low=0.0, high=1.0, high_open=True)
        self._real("beta_2", low=0.0, high=1.0, high_open=True)
        self._real("epsilon", low=0.0, low_open=True)
        self._real("rho", low=0.0, high=1.0, high_open=True)
        self._real("weight_decay", low=0.0)
        self._real("l1", low=0.0)
        self._real("dropout", low=0.0, high=1.0, high_open=True)
        if self.clip_grad_norm is not None:
            self._real("clip_grad_norm", low=0.0, low_open=True)

        for name in ("shuffle", "nesterovs_momentum", "early_stopping", "standardize"):
            if not isinstance(getattr(self, name), bool):
                raise ParamError(name, f"must be true or false, got {getattr(self, name)!r}")
        if self.restore_best_weights is not None and not isinstance(
            self.restore_best_weights, bool
        ):
            raise ParamError(
                "restore_best_weights",
                f"must be true, false or null, got {self.restore_best_weights!r}",
            )

    def _real(
        self,
        name: str,
        *,
        low: float,
        high: float = math.inf,
        low_open: bool = False,
        high_open: bool = False,
    ) -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(name, f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ParamError(name, f"must be finite, got {value}")
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if too_low or too_high:
            lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
            raise ParamError(name, f"must be in {lo}{low:g}, {high:g}{hi}, got {value:g}")
        object.__setattr__(self, name, value)

    def resolve(self, task: Task, n_samples: int) -> MLPParams:
        """A copy with every choice made for this task and data size.

        ``n_samples`` is the size of the whole data set; with early stopping the batch size is
        resolved against the training split (as scikit-learn does), so the result is exactly
        what the Trainer uses.
        """
        if task not in get_args(Task):
            raise ParamError("task", f"must be 'classification' or 'regression', got {task!r}")
        n_train = n_samples
        if self.early_stopping:
            n_train = n_samples - validation_size(n_samples, self.validation_fraction)
        n_train = max(1, n_train)
        if self.batch_size == "auto":
            batch_size = min(200, n_train)
        else:
            batch_size = min(max(1, int(self.batch_size)), n_train)

        loss = self.loss
        if task == "classification":
            if loss is None:
                loss = "log_loss"
            elif loss != "log_loss":
                raise ParamError("loss", f"classification uses 'log_loss', got {loss!r}")
        else:
            if loss is None:
                loss = "squared_error"
            elif loss not in REGRESSION_LOSSES:
                raise ParamError(
                    "loss", f"regression uses one of {', '.join(REGRESSION_LOSSES)}, got {loss!r}"
                )
        restore = (
            self.early_stopping
            if self.restore_best_weights is None
            else (self.restore_best_weights)
        )
        activation = "logistic" if self.activation == "sigmoid" else self.activation
        return replace(
            self,
            batch_size=batch_size,
            loss=loss,
            restore_best_weights=restore,
            activation=activation,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        out = asdict(self)
        out["hidden_layer_sizes"] = list(self.hidden_layer_sizes)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MLPParams:
        """Build from a dict like ``to_dict()``'s; unknown keys raise a ValueError naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown parameter(s): {', '.join(unknown)}")
        return cls(**d)

    @classmethod
    def descriptions(cls) -> dict[str, str]:
        """Field name → human description (for OpenAPI docs)."""
        return {f.name: str(f.metadata.get("description", "")) for f in fields(cls)}


def validation_size(n_samples: int, validation_fraction: float) -> int:
    """Samples held out for early stopping: ceil(fraction * n), as scikit-learn's split."""
    return math.ceil(validation_fraction * n_samples)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ParamError(name, f"must be one of {', '.join(allowed)}; got {value!r}")
