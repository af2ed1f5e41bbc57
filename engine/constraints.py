"""Declarative parameter constraints, after scikit-learn's ``_parameter_constraints``.

A parameter is valid when one of its constraints accepts it; each constraint also normalizes
what it accepts (numpy integers become ``int``, numpy floats ``float``, numpy booleans ``bool``),
so that a validated value is plain Python and JSON-ready. A value no constraint accepts raises
``ParamError(name, message)``, the message listing what would have been accepted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Protocol

import numpy as np

from engine.errors import ParamError


class Rejected(Exception):
    """A constraint refuses a value; ``reason`` replaces the generic message when set."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


class Constraint(Protocol):
    def convert(self, value: Any) -> Any:
        """The normalized value, or raise ``Rejected``."""
        ...

    def describe(self) -> str: ...


def _is_integral(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool | np.bool_)


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (Integral or Real) between ``low`` and ``high`` (None: unbounded).

    Real intervals never accept NaN or an infinity: a JSON job cannot carry them, and no
    parameter means anything at infinity (``n_iter_no_change`` spells its "never" as an option).
    """

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"  # "left", "right", "both" or "neither"

    def convert(self, value: Any) -> Any:
        if self.kind is Integral:
            if not _is_integral(value):
                raise Rejected
            number: float = int(value)
        else:
            if not _is_real(value):
                raise Rejected
            number = float(value)
            if not math.isfinite(number):
                raise Rejected(f"must be finite, got {number}")
        low_ok = (
            self.low is None
            or number > self.low
            or (number == self.low and self.closed in ("left", "both"))
        )
        high_ok = (
            self.high is None
            or number < self.high
            or (number == self.high and self.closed in ("right", "both"))
        )
        if not (low_ok and high_ok):
            raise Rejected
        return number

    def describe(self) -> str:
        what = "an integer" if self.kind is Integral else "a number"
        if self.low is not None and self.high is None:
            sign = ">=" if self.closed in ("left", "both") else ">"
            return f"{what} {sign} {self.low:g}"
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{what} in {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Choices:
    """One of a few strings (scikit-learn's StrOptions); ``aliases`` map to a canonical one."""

    values: tuple[str, ...]
    aliases: Mapping[str, str] | None = None

    def convert(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Rejected
        if value in self.values:
            return value
        if self.aliases and value in self.aliases:
            return value  # kept as given; MLPParams.resolve() canonicalizes
        raise Rejected

    def describe(self) -> str:
        names = [*self.values, *(self.aliases or {})]
        return "one of " + ", ".join(repr(v) for v in names)


@dataclass(frozen=True)
class Infinity:
    """Positive infinity, as a float or as the string "inf" (JSON has no infinity)."""

    def convert(self, value: Any) -> Any:
        if isinstance(value, str) and value == "inf":
            return math.inf
        if _is_real(value) and float(value) == math.inf:
            return math.inf
        raise Rejected

    def describe(self) -> str:
        return "inf (never)"


@dataclass(frozen=True)
class Boolean:
    """True or False (numpy booleans too), never 0/1 or strings."""

    def convert(self, value: Any) -> Any:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise Rejected

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Nothing:
    """None (JSON null)."""

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        raise Rejected

    def describe(self) -> str:
        return "null"


@dataclass(frozen=True)
class LayerSizes:
    """A sequence of positive integers, or one positive integer (one layer); a tuple."""

    def convert(self, value: Any) -> Any:
        if _is_integral(value):
            value = (value,)
        if isinstance(value, np.ndarray):
            value = value.tolist() if value.ndim == 1 else value
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise Rejected
        for units in value:
            if not _is_integral(units):
                raise Rejected(f"layer sizes must be integers, got {units!r}")
            if units < 1:
                raise Rejected(f"every layer needs at least 1 unit, got {units}")
        return tuple(int(u) for u in value)

    def describe(self) -> str:
        return "a list of layer sizes (positive integers)"


@dataclass(frozen=True)
class FloatDType:
    """ "float32" or "float64", also given as a numpy dtype or type."""

    def convert(self, value: Any) -> Any:
        if isinstance(value, str | type | np.dtype):
            try:
                name = np.dtype(value).name
            except TypeError:
                raise Rejected from None
            if name in ("float32", "float64"):
                return name
        raise Rejected

    def describe(self) -> str:
        return "'float32' or 'float64'"


def validate(name: str, value: Any, constraints: Sequence[Constraint]) -> Any:
    """``value`` normalized by the first constraint that accepts it; else ``ParamError``."""
    reasons = []
    for constraint in constraints:
        try:
            return constraint.convert(value)
        except Rejected as rejected:
            if rejected.reason:
                reasons.append(rejected.reason)
    if reasons:
        raise ParamError(name, reasons[0])
    wanted = " or ".join(c.describe() for c in constraints)
    raise ParamError(name, f"must be {wanted}; got {value!r}")
