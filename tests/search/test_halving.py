"""The halving plan is scikit-learn's: same rungs (epochs) and candidates per rung as
HalvingRandomSearchCV computes with the same factor, resources and number of candidates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingRandomSearchCV

from mlpforge.search import halving


class Constant(ClassifierMixin, BaseEstimator):
    """Fits in no time; ``max_iter`` is only there to be the halving resource."""

    def __init__(self, max_iter: int = 1, c: float = 0.0) -> None:
        self.max_iter = max_iter
        self.c = c

    def fit(self, X: Any, y: Any) -> Constant:
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.classes_[0])


def sklearn_rungs(
    n_candidates: int, factor: float, min_resources: Any, max_resources: int, aggressive: bool
) -> tuple[list[int], list[int]]:
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.arange(20) % 2
    search = HalvingRandomSearchCV(
        Constant(),
        {"c": list(np.linspace(0, 1, 500))},
        n_candidates=n_candidates,
        factor=factor,
        resource="max_iter",
        min_resources=min_resources,
        max_resources=max_resources,
        aggressive_elimination=aggressive,
        cv=2,
        random_state=0,
    ).fit(X, y)
    return [int(r) for r in search.n_resources_], [int(c) for c in search.n_candidates_]


@pytest.mark.parametrize(
    ("n", "factor", "minimum", "maximum", "aggressive"),
    [
        (9, 3, "exhaust", 27, False),
        (27, 3, "smallest", 200, False),
        (32, 3, "exhaust", 200, False),
        (32, 2, "exhaust", 100, False),
        (10, 2.5, 4, 100, False),
        (50, 3, 10, 40, False),  # fewer rungs possible than needed
        (50, 3, 10, 40, True),  # ...unless aggressive: the first rungs repeat the budget
        (243, 3, "exhaust", 1000, False),  # math.log(243, 3) < 5: scikit-learn's rounding
        (1, 3, "smallest", 50, False),
    ],
)
def test_rungs_are_scikit_learns(
    n: int, factor: float, minimum: Any, maximum: int, aggressive: bool
) -> None:
    ours = halving.plan(
        n,
        factor=factor,
        min_resources=minimum,
        max_resources=maximum,
        aggressive_elimination=aggressive,
    )
    assert (ours.n_resources, ours.n_candidates) == sklearn_rungs(
        n, factor, minimum, maximum, aggressive
    )
    assert ours.trials == sum(ours.n_candidates)
    assert all(
        ours.n_candidates[i + 1] == halving.survivors(ours.n_candidates[i], factor)
        for i in range(len(ours.n_candidates) - 1)
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"factor": 1.0}, "factor"),
        ({"min_resources": 300}, "min_resources"),
        ({"min_resources": 0}, "min_resources"),
    ],
)
def test_plans_scikit_learn_refuses_are_refused_naming_the_parameter(
    kwargs: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"factor": 3, "min_resources": "smallest", "max_resources": 200}
    with pytest.raises(halving.HalvingError) as refused:
        halving.plan(9, **{**arguments, **kwargs})
    assert refused.value.field == field
