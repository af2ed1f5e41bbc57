"""With scikit-learn's defaults, held-out scores at least scikit-learn's, to within the
seed-to-seed spread (bench/quality.py measures this more widely)."""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlpforge.estimators import MLPClassifier, MLPRegressor

SEEDS = (0, 1, 2)
# A floor under the spread: iris' 38 test samples score in steps of 0.026.
MIN_SPREAD = 0.01


def _scores(build: Callable[[int], Any], X: np.ndarray, y: np.ndarray, stratify: bool):
    out = []
    for seed in SEEDS:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y if stratify else None
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(build(seed).fit(X_tr, y_tr).score(X_te, y_te))
    return statistics.fmean(out), statistics.stdev(out)


def _reference(regression: bool) -> Callable[[int], Any]:
    """scikit-learn with the engine's preprocessing: standardized inputs (and targets)."""

    def build(seed: int) -> Any:
        if regression:
            model: Any = TransformedTargetRegressor(
                regressor=SkRegressor(random_state=seed), transformer=StandardScaler()
            )
        else:
            model = SkClassifier(random_state=seed)
        return make_pipeline(StandardScaler(), model)

    return build


@pytest.mark.parametrize("name", ["iris", "digits", "diabetes"])
def test_defaults_score_as_well_as_scikit_learn(name: str) -> None:
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    regression = name == "diabetes"
    ours_cls = MLPRegressor if regression else MLPClassifier
    ours, ours_std = _scores(lambda s: ours_cls(random_state=s), X, y, not regression)
    theirs, theirs_std = _scores(_reference(regression), X, y, not regression)
    spread = max(ours_std, theirs_std, MIN_SPREAD)
    assert ours >= theirs - spread, (name, ours, theirs, spread)
