"""scikit-learn's own estimator checks, run on both estimators."""

from __future__ import annotations

from typing import Any

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlpforge.estimators import MLPClassifier, MLPRegressor

# scikit-learn runs its own MLPs through these checks with max_iter=100; lbfgs (full batch,
# deterministic) goes through them too.
ESTIMATORS = [
    MLPClassifier(max_iter=100),
    MLPRegressor(max_iter=100),
    MLPClassifier(solver="lbfgs", max_iter=100),
    MLPRegressor(solver="lbfgs", max_iter=100),
]


def expected_failed_checks(estimator: Any) -> dict[str, str]:
    return {}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)
