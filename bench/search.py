"""Searches: a 32-trial random search on digits with 1 and with 2 workers (the speed-up), and
the best score against scikit-learn's RandomizedSearchCV and HalvingRandomSearchCV on the same
space and budget.

Same space (alpha and learning_rate_init log-uniform, three architectures), same budget
(32 candidates, 3-fold cv, max_iter epochs; halving: factor 3 with epochs as the resource from
"exhaust" to max_iter), same scoring (mean cv accuracy), the best refit on every training row
and scored on a held-out test set. scikit-learn gets a StandardScaler pipeline (the engine
standardizes inputs by default). The draws differ (numpy's generator, not scipy's), so the
candidates differ: compare the best scores, not trial by trial.

Every mlpforge worker, and scikit-learn, trains with one BLAS thread, so that the speed-up
measures scale-out across workers rather than threads fighting over the cores.

    python bench/search.py            # full run (several minutes on 2 cores)
    python bench/search.py --quick    # smoke run
    python bench/search.py --json F   # also write the figures for bench/run_all.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # scikit-learn here: one thread, as a worker
os.environ.setdefault("OMP_NUM_THREADS", "1")

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, number, write_figures
from bench.harness import AUTH, bench_redis_url, start_api
from tests.processes import Process, start_worker

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
GROUP = "search"


@dataclass
class Config:
    quick: bool
    trials: int = 32
    folds: int = 3
    max_iter: int = 30
    max_parallel: int = 4

    def __post_init__(self) -> None:
        if self.quick:
            self.trials, self.max_iter = 6, 6


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, **kw: Any) -> None:
        figure = Figure(GROUP, name, float(value), unit, **kw)
        self.figures.append(figure)
        ratio = f"  ({figure.ratio:.2f}× target)" if figure.ratio is not None else ""
        print(f"  {name}: {number(value)} {unit}{ratio}", flush=True)


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    return X_train, X_test, y_train, y_test


SPACE: dict[str, Any] = {
    "alpha": {"low": 1e-5, "high": 1e-1, "log": True},
    "learning_rate_init": {"low": 1e-4, "high": 1e-1, "log": True},
    "hidden_layer_sizes": [[32], [64], [64, 32]],
}


def body(config: Config, dataset_id: str, strategy: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "dataset_id": dataset_id,
        "task": "classification",
        "params": {"max_iter": config.max_iter, "random_state": 0, "n_iter_no_change": 1000},
        "space": SPACE,
        "strategy": strategy,
        "max_trials": config.trials,
        "max_parallel": config.max_parallel,
        "objective": {"metric": "accuracy"},
        "cv": config.folds,
        "random_state": 0,
    }
    if strategy == "halving":
        out["halving"] = {"factor": 3, "min_resources": "exhaust"}
    return out


def run_search(client: httpx.Client, request: dict[str, Any]) -> tuple[dict[str, Any], float]:
    began = time.perf_counter()
    answer = client.post("/v1/searches", json=request)
    answer.raise_for_status()
    search_id = answer.json()["id"]
    while True:
        search = client.get(f"/v1/searches/{search_id}").json()
        if search["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - began
    if search["status"] != "succeeded":
        raise RuntimeError(f"search {search_id} {search['status']}: {search.get('error')}")
    return search, elapsed


def test_accuracy(client: httpx.Client, model_id: str, X: np.ndarray, y: np.ndarray) -> float:
    answer = client.post(f"/v1/models/{model_id}/predict", json={"inputs": X.tolist()})
    answer.raise_for_status()
    return float(np.mean(np.asarray(answer.json()["predictions"]) == y))


def job_seconds(client: httpx.Client, search_id: str) -> tuple[int, float]:
    """(jobs, seconds they trained together) of a search's trials."""
    jobs, total, cursor = 0, 0.0, None
    while True:
        params: dict[str, str | int] = {"search_id": search_id, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/jobs", params=params).json()
        for job in page["data"]:
            jobs += 1
            began = np.datetime64(job["started_at"].rstrip("Z"))
            ended = np.datetime64(job["finished_at"].rstrip("Z"))
            total += float((ended - began) / np.timedelta64(1, "ms")) / 1000
        cursor = page["next_cursor"]
        if cursor is None:
            return jobs, total


def mlpforge_runs(config: Config, data: Any, report: Report) -> dict[str, float]:
    X_train, X_test, y_train, y_test = data
    url, server = bench_redis_url()
    workers: list[Process] = []
    api: Process | None = None
    scores: dict[str, float] = {}
    try:
        workers.append(start_worker(url, name="bench-search-0", **ONE_THREAD))
        api, base = start_api(url)
        with httpx.Client(base_url=base, headers=AUTH, timeout=120) as client:
            dataset = client.post(
                "/v1/datasets", json={"features": X_train.tolist(), "targets": y_train.tolist()}
            ).json()
            walls = {}
            for n_workers in (1, 2):
                if n_workers == 2:
                    workers.append(start_worker(url, name="bench-search-1", **ONE_THREAD))
                print(f"random search, {n_workers} worker(s)…", flush=True)
                search, walls[n_workers] = run_search(client, body(config, dataset["id"], "random"))
                label = f"random search, {n_workers} worker(s)"
                report.add(f"{label}: wall time", walls[n_workers], "s", higher_is_better=False)
                jobs, busy = job_seconds(client, search["id"])
                report.add(f"{label}: jobs' own time / wall", busy / walls[n_workers], "busy")
                scores[f"random cv {n_workers}"] = float(search["best_objective"])
                scores[f"random test {n_workers}"] = test_accuracy(
                    client, search["best_model_id"], X_test, y_test
                )
            note = f"{jobs} jobs of {config.folds}-fold cv + refit"
            speed_up = walls[1] / walls[2]
            report.add("random search: speed-up, 2 workers", speed_up, "×", target=1.5, note=note)
            print("halving search, 2 workers…", flush=True)
            search, wall = run_search(client, body(config, dataset["id"], "halving"))
            report.add("halving search, 2 workers: wall time", wall, "s", higher_is_better=False)
            scores["halving cv"] = float(search["best_objective"])
            scores["halving test"] = test_accuracy(client, search["best_model_id"], X_test, y_test)
            scores["halving wall"] = wall
            scores["random wall 2"] = walls[2]
    finally:
        for process in [*workers, *([api] if api else [])]:
            process.stop()
        if server is not None:
            server.close()
    return scores


def sklearn_runs(config: Config, data: Any) -> dict[str, float]:
    from scipy.stats import loguniform
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV, RandomizedSearchCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test = data
    space = {
        "mlpclassifier__alpha": loguniform(1e-5, 1e-1),
        "mlpclassifier__learning_rate_init": loguniform(1e-4, 1e-1),
        "mlpclassifier__hidden_layer_sizes": [(32,), (64,), (64, 32)],
    }
    pipeline = make_pipeline(
        StandardScaler(),
        MLPClassifier(max_iter=config.max_iter, random_state=0, n_iter_no_change=1000),
    )
    scores: dict[str, float] = {}
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, search in (
            ("random", RandomizedSearchCV(pipeline, space, n_iter=config.trials, cv=config.folds,
                                          scoring="accuracy", random_state=0, n_jobs=2)),
            ("halving", HalvingRandomSearchCV(pipeline, space, n_candidates=config.trials,
                                              factor=3, resource="mlpclassifier__max_iter",
                                              min_resources="exhaust",
                                              max_resources=config.max_iter, cv=config.folds,
                                              scoring="accuracy", random_state=0, n_jobs=2)),
        ):  # fmt: skip
            print(f"scikit-learn {name} search (n_jobs=2)…", flush=True)
            began = time.perf_counter()
            search.fit(X_train, y_train)
            scores[f"{name} wall"] = time.perf_counter() - began
            scores[f"{name} cv"] = float(search.best_score_)
            scores[f"{name} test"] = float(search.score(X_test, y_test))
    return scores


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    config = Config(quick=args.quick)
    data = digits()
    report = Report()
    ours = mlpforge_runs(config, data, report)
    theirs = sklearn_runs(config, data)
    for strategy, reference in (
        ("random", "RandomizedSearchCV"),
        ("halving", "HalvingRandomSearchCV"),
    ):
        ours_key = f"{strategy} cv 2" if strategy == "random" else "halving cv"
        ours_test = f"{strategy} test 2" if strategy == "random" else "halving test"
        report.add(f"{strategy}: best mean cv accuracy (vs {reference})", ours[ours_key], "",
                   target=theirs[f"{strategy} cv"])  # fmt: skip
        report.add(f"{strategy}: best model's test accuracy (vs {reference})", ours[ours_test], "",
                   target=theirs[f"{strategy} test"])  # fmt: skip
        report.add(f"{strategy}: wall time, 2 workers (vs {reference}, n_jobs=2)",
                   ours[f"{strategy} wall" if strategy == "halving" else "random wall 2"], "s",
                   target=theirs[f"{strategy} wall"], higher_is_better=False)  # fmt: skip
        for what, unit in (("cv", ""), ("test", ""), ("wall", "s")):
            report.add(f"{reference} (n_jobs=2): {what}", theirs[f"{strategy} {what}"], unit)
    if args.json:
        write_figures(args.json, report.figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
