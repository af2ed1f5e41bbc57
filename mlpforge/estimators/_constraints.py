"""What each parameter accepts, as scikit-learn declares it (``_parameter_constraints``).

scikit-learn's MLP constraints, widened to what the engine accepts. The choices (solvers,
activations, schedules, losses) are read from the engine's own ``MLPParams`` annotations, so a
solver or loss the engine learns is accepted here the moment it lands, and one it does not know
is refused by name (scikit-learn's InvalidParameterError) before any work starts.
"""

from __future__ import annotations

import typing
from dataclasses import fields
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from engine import MLPParams

DTYPES = frozenset({"float32", "float64"})


def engine_choices(name: str) -> frozenset[str]:
    """The string values the engine's ``MLPParams.<name>`` annotation (a Literal) allows."""
    found = frozenset(_literal_strings(typing.get_type_hints(MLPParams)[name]))
    if not found:
        raise TypeError(f"MLPParams.{name} is not annotated with a Literal of its choices")
    return found


def _literal_strings(hint: Any) -> list[str]:
    if typing.get_origin(hint) is typing.Literal:
        return [a for a in typing.get_args(hint) if isinstance(a, str)]
    return [s for arg in typing.get_args(hint) for s in _literal_strings(arg)]


def engine_fields() -> frozenset[str]:
    """The parameters the engine's ``MLPParams`` takes (it grows as features land)."""
    return frozenset(f.name for f in fields(MLPParams))


def regression_losses() -> frozenset[str]:
    return engine_choices("loss") - {"log_loss"}


def _unit(closed: str) -> Interval:
    return Interval(Real, 0, 1, closed=closed)


def _non_negative() -> Interval:
    return Interval(Real, 0, None, closed="left")


# scikit-learn's MLP constraints, with the engine's wider choices, then mlpforge's extras.
COMMON: dict[str, list[Any]] = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(engine_choices("activation")))],
    "solver": [StrOptions(set(engine_choices("solver")))],
    "alpha": [_non_negative()],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions(set(engine_choices("learning_rate")))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [_non_negative()],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [_non_negative()],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [_unit("both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    # scikit-learn allows 0 (it only matters with early_stopping, where the engine needs > 0)
    "validation_fraction": [_unit("left")],
    "beta_1": [_unit("left")],
    "beta_2": [_unit("left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "rho": [_unit("left")],
    "weight_decay": [_non_negative()],
    "l1": [_non_negative()],
    "dropout": [_unit("left")],
    "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "standardize": ["boolean"],
    "restore_best_weights": ["boolean", None],
    "dtype": [
        StrOptions(set(DTYPES)),
        Options(type, {np.float32, np.float64}),
        Options(np.dtype, {np.dtype(np.float32), np.dtype(np.float64)}),
        None,
    ],
}

REGRESSOR: dict[str, list[Any]] = {
    **COMMON,
    "loss": [StrOptions(set(regression_losses()))],
}
