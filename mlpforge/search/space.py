"""A search space, and the candidates drawn from it: scikit-learn's ParameterGrid and
ParameterSampler, over JSON.

A space maps parameter names to either a list of values or a range ``{low, high, log,
integer}``. A grid (``grid``) is the cartesian product of the lists, in ParameterGrid's order
(names sorted, the last one varying fastest). A random search (``sample``) draws as
ParameterSampler does: from a space of lists only, distinct grid points without replacement
(the whole grid when it is smaller than asked); with a range, each parameter independently,
with replacement. The draws come from numpy's PCG64 seeded with ``random_state``, so the same
request gives the same candidates (not scikit-learn's draws value for value).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Range:
    """``low`` to ``high``: uniform, or log-uniform (``log``, positive bounds); ``integer``
    rounds to an integer, both bounds included."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def draw(self, rng: np.random.Generator) -> float | int:
        if self.integer:
            if self.log:
                # Log-uniform over [low, high + 1), floored: each integer as likely as the
                # width of its interval in log space (scipy's loguniform then int()).
                value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
                return int(min(self.high, max(self.low, math.floor(value))))
            return int(rng.integers(int(self.low), int(self.high), endpoint=True))
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    @property
    def ends(self) -> tuple[float | int, float | int]:
        if self.integer:
            return int(self.low), int(self.high)
        return self.low, self.high


Dimension = list[Any] | Range
Space = Mapping[str, Dimension]


def lists_only(space: Space) -> bool:
    return all(isinstance(values, list) for values in space.values())


def grid_size(space: Space) -> int:
    """How many points the grid of a space of lists has (ParameterGrid's len)."""
    return math.prod(len(values) for values in space.values() if isinstance(values, list))


def grid_point(space: Space, index: int) -> dict[str, Any]:
    """The ``index``-th point of the grid, in ParameterGrid's order, without building it."""
    point: dict[str, Any] = {}
    for name in reversed(sorted(space)):
        values = space[name]
        assert isinstance(values, list)
        index, position = divmod(index, len(values))
        point[name] = values[position]
    return dict(sorted(point.items()))


def grid(space: Space) -> Iterator[dict[str, Any]]:
    for index in range(grid_size(space)):
        yield grid_point(space, index)


def sample(space: Space, n: int, seed: int | None) -> list[dict[str, Any]]:
    """``n`` candidates (fewer when a space of lists has fewer points), as ParameterSampler."""
    rng = np.random.default_rng(seed)
    if lists_only(space):
        size = grid_size(space)
        if size <= n:
            return list(grid(space))
        picked = rng.choice(size, size=n, replace=False)
        return [grid_point(space, int(index)) for index in picked]
    names = sorted(space)
    out = []
    for _ in range(n):
        point: dict[str, Any] = {}
        for name in names:
            dimension = space[name]
            if isinstance(dimension, Range):
                point[name] = dimension.draw(rng)
            else:
                point[name] = dimension[int(rng.integers(len(dimension)))]
        out.append(point)
    return out


def shown(value: Any, limit: int = 60) -> str:
    """A value as a person reads it in an error message, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def values_of(dimension: Dimension) -> Sequence[Any]:
    """The values worth checking one by one: a list's, or a range's two ends."""
    return dimension.ends if isinstance(dimension, Range) else dimension
