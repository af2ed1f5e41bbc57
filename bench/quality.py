"""Quality: mlpforge's estimators against scikit-learn's MLPs, accuracy and R² on held-out data.

Over scikit-learn's bundled data sets (iris, wine, breast cancer, digits, diabetes) and two
synthetic large ones (make_classification, make_regression), several seeds (each seed draws the
train/test split and both models' seeds), scikit-learn's default parameters and a few common
variations (early stopping, sgd, lbfgs, no standardization).

Preprocessing is identical: the engine standardizes inputs (and regression targets) by default,
so scikit-learn gets a StandardScaler pipeline (and, for regression, its targets standardized
too: TransformedTargetRegressor). scikit-learn on raw data is shown beside, to see where the
engine's defaults help; the "standardize=False" rows compare both on raw data.

A row passes when mlpforge's mean is at most one seed-to-seed spread (the larger standard
deviation of the two) below scikit-learn's. Reported, never asserted.

    python bench/quality.py            # full run (several minutes)
    python bench/quality.py --quick    # smoke run (seconds)
    python bench/quality.py --json F   # also write the figures for bench/run_all.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, write_figures
from bench.run_all import machine

Data = tuple[np.ndarray, np.ndarray]


def datasets(quick: bool) -> dict[str, tuple[str, Callable[[], Data]]]:
    """name → (task, loader). Everything ships with scikit-learn: nothing is downloaded."""
    from sklearn import datasets as ds

    # Large next to the bundled sets, small enough for five seeds of every variation
    def synthetic_classification() -> Data:
        return ds.make_classification(
            n_samples=10_000, n_features=20, n_informative=10, n_classes=4, random_state=0
        )

    def synthetic_regression() -> Data:
        return ds.make_regression(
            n_samples=10_000, n_features=20, n_informative=10, noise=10.0, random_state=0
        )

    found: dict[str, tuple[str, Callable[[], Data]]] = {
        "iris": ("classification", lambda: ds.load_iris(return_X_y=True)),
        "diabetes": ("regression", lambda: ds.load_diabetes(return_X_y=True)),
    }
    if quick:
        return found
    return {
        **found,
        "wine": ("classification", lambda: ds.load_wine(return_X_y=True)),
        "breast cancer": ("classification", lambda: ds.load_breast_cancer(return_X_y=True)),
        "digits": ("classification", lambda: ds.load_digits(return_X_y=True)),
        "make_classification 10k×20": ("classification", synthetic_classification),
        "make_regression 10k×20": ("regression", synthetic_regression),
    }


@dataclass(frozen=True)
class Variation:
    name: str
    params: dict[str, Any]  # for both systems (scikit-learn names)
    scaled: bool = True  # scikit-learn behind a StandardScaler; False: both on raw data


def variations(quick: bool) -> list[Variation]:
    found = [Variation("defaults", {})]
    if quick:
        return found
    return [
        *found,
        Variation("early_stopping", {"early_stopping": True}),
        Variation("sgd", {"solver": "sgd"}),
        Variation("lbfgs", {"solver": "lbfgs"}),
        Variation("standardize=False", {}, scaled=False),
    ]


def mlpforge(task: str, params: dict[str, Any], scaled: bool) -> Any:
    from mlpforge.estimators import MLPClassifier, MLPRegressor

    cls = MLPClassifier if task == "classification" else MLPRegressor
    return cls(**params, standardize=scaled)


def scikit_learn(task: str, params: dict[str, Any], scaled: bool) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model: Any
    if task == "classification":
        model = MLPClassifier(**params)
    else:
        model = MLPRegressor(**params)
        if scaled:
            model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    return make_pipeline(StandardScaler(), model) if scaled else model


@dataclass
class Scores:
    values: list[float]
    seconds: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    def text(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f}"


def score_over_seeds(
    build: Callable[[int], Any], data: Data, task: str, seeds: list[int]
) -> Scores:
    """Held-out accuracy (classification) or R² (regression), one 75/25 split per seed."""
    from sklearn.model_selection import train_test_split

    X, y = data
    out = Scores([], [])
    for seed in seeds:
        stratify = y if task == "classification" else None
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=stratify
        )
        model = build(seed)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarnings: max_iter is part of the test
            model.fit(X_tr, y_tr)
        out.seconds.append(time.perf_counter() - started)
        out.values.append(float(model.score(X_te, y_te)))
    return out


@dataclass
class Row:
    dataset: str
    variation: Variation
    metric: str
    ours: Scores
    reference: Scores  # scikit-learn, same preprocessing
    raw: Scores | None  # scikit-learn on raw data (for the scaled variations)

    @property
    def spread(self) -> float:
        return max(self.ours.std, self.reference.std)

    @property
    def passed(self) -> bool:
        return self.ours.mean >= self.reference.mean - self.spread


def measure(quick: bool, seeds: list[int], show: Callable[[Row], None]) -> list[Row]:
    rows = []
    for name, (task, load) in datasets(quick).items():
        data = load()
        metric = "accuracy" if task == "classification" else "R²"
        for v in variations(quick):

            def ours(seed: int, v: Variation = v, task: str = task) -> Any:
                return mlpforge(task, {**v.params, "random_state": seed}, v.scaled)

            def theirs(seed: int, v: Variation = v, task: str = task, scaled: bool = True) -> Any:
                return scikit_learn(task, {**v.params, "random_state": seed}, scaled and v.scaled)

            raw = None
            if v.scaled:
                raw = score_over_seeds(lambda s: theirs(s, scaled=False), data, task, seeds)
            row = Row(
                name,
                v,
                metric,
                score_over_seeds(ours, data, task, seeds),
                score_over_seeds(theirs, data, task, seeds),
                raw,
            )
            show(row)
            rows.append(row)
    return rows


HEADER = (
    "| data set | variation | metric | mlpforge | scikit-learn (same preprocessing) | ratio "
    "| verdict | scikit-learn on raw data | seconds per fit (mlpforge / scikit-learn) |\n"
    "|---|---|---|---:|---:|---:|---|---:|---:|"
)


def markdown_row(row: Row) -> str:
    # a ratio of two negative R² says nothing
    ratio = f"{row.ours.mean / row.reference.mean:.3f}" if row.reference.mean > 0 else "—"
    verdict = "ok" if row.passed else f"**BELOW** by {row.reference.mean - row.ours.mean:.4f}"
    raw = row.raw.text() if row.raw else "(same as left)"
    seconds = f"{statistics.fmean(row.ours.seconds):.2f} / "
    seconds += f"{statistics.fmean(row.reference.seconds):.2f}"
    return (
        f"| {row.dataset} | {row.variation.name} | {row.metric} | {row.ours.text()} | "
        f"{row.reference.text()} | {ratio} | {verdict} | {raw} | {seconds} |"
    )


def figures(rows: list[Row]) -> list[Figure]:
    """mlpforge's error (1 - accuracy, 1 - R², never negative, unlike R²) against
    scikit-learn's plus one spread: a ratio ≥ 1 is a passed row."""
    return [
        Figure(
            group="quality",
            name=f"{row.dataset}, {row.variation.name}",
            value=1.0 - row.ours.mean,
            unit=f"1 − {row.metric}",
            target=1.0 - row.reference.mean + row.spread,
            higher_is_better=False,
            note=f"scikit-learn {row.reference.text()}, mlpforge {row.ours.text()}",
        )
        for row in rows
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two data sets, two seeds")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per row (default 5)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds or (2 if args.quick else 5)))
    details = [*machine(), ("scipy", scipy.__version__)]  # taken before the load we add

    print(f"held-out scores over {len(seeds)} seeds (75/25 splits, seed = split = models' seed)")
    print(f"\n{HEADER}", flush=True)
    rows = measure(args.quick, seeds, lambda row: print(markdown_row(row), flush=True))
    below = [row for row in rows if not row.passed]
    print(f"\n{len(rows) - len(below)} of {len(rows)} rows within one spread of scikit-learn")
    print("\n| machine | |\n|---|---|")
    for key, value in details:
        print(f"| {key} | {value} |")
    if args.json is not None:
        write_figures(args.json, figures(rows), {"machine": dict(details)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
