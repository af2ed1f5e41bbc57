"""Successive halving with epochs as the resource, planned as scikit-learn's
HalvingRandomSearchCV plans it (sklearn/model_selection/_search_successive_halving.py).

Rung i trains the surviving candidates for ``n_resources[i]`` epochs; the best
``ceil(n / factor)`` of its ``n`` candidates go on to the next rung. ``min_resources`` is an
integer, "smallest" (1 epoch: scikit-learn's choice for a resource other than n_samples) or
"exhaust" (the largest first budget with which the last rung still fits in ``max_resources``).
Same arithmetic as scikit-learn's, ``math.log`` and all, so the same factor, resources and
number of candidates give the same rungs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

MinResources = int | Literal["smallest", "exhaust"]


class HalvingError(ValueError):
    """A plan scikit-learn refuses too; ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Rungs:
    min_resources: int
    n_resources: list[int]
    n_candidates: list[int]

    @property
    def trials(self) -> int:
        return sum(self.n_candidates)


def plan(
    n_candidates: int,
    *,
    factor: float,
    min_resources: MinResources,
    max_resources: int,
    aggressive_elimination: bool = False,
) -> Rungs:
    if factor <= 1:
        raise HalvingError("factor", f"must be greater than 1, got {factor:g}")
    first = 1 if min_resources in ("smallest", "exhaust") else int(min_resources)
    if first < 1:
        raise HalvingError("min_resources", f"must be at least 1 epoch, got {first}")
    if first > max_resources:
        raise HalvingError(
            "min_resources",
            f"min_resources={first} is greater than max_resources={max_resources}",
        )
    if n_candidates < 1:
        raise HalvingError("max_trials", "at least one candidate is needed")
    # The number of rungs after which fewer than `factor` candidates remain.
    n_required = 1 + math.floor(math.log(n_candidates, factor))
    if min_resources == "exhaust":
        first = max(first, int(max_resources // factor ** (n_required - 1)))
    n_possible = 1 + math.floor(math.log(max_resources // first, factor))
    n_rungs = n_required if aggressive_elimination else min(n_possible, n_required)
    resources: list[int] = []
    candidates: list[int] = []
    remaining = n_candidates
    for rung in range(n_rungs):
        power = max(0, rung - n_rungs + n_possible) if aggressive_elimination else rung
        resources.append(min(int(factor**power * first), max_resources))
        candidates.append(remaining)
        remaining = math.ceil(remaining / factor)
    return Rungs(min_resources=first, n_resources=resources, n_candidates=candidates)


def survivors(n: int, factor: float) -> int:
    """How many of a rung's ``n`` candidates go on to the next."""
    return math.ceil(n / factor)
