"""scikit-learn's GridSearchCV / RandomizedSearchCV / HalvingRandomSearchCV, run by an mlpforge
service: every trial is a job on its workers, in parallel.

>>> from mlpforge.remote import RemoteMLPClassifier
>>> from mlpforge.remote_search import RemoteSearchCV
>>> search = RemoteSearchCV(RemoteMLPClassifier(max_iter=50, url="http://..."),
...                         {"alpha": loguniform(1e-5, 1e-1), "hidden_layer_sizes": [(32,), (64,)]},
...                         n_iter=20, cv=3, scoring="accuracy")
>>> search.fit(X, y).best_params_, search.best_score_, search.cv_results_["mean_test_score"]

``fit`` uploads the data, starts one search (``POST /v1/searches``) with the estimator's
parameters fixed and ``param_space`` searched, waits for it, and reads the results back in
scikit-learn's shapes: ``best_params_``, ``best_score_`` (for a ``neg_*`` scoring, negated
as scikit-learn's), ``best_index_``, ``cv_results_`` and ``best_estimator_`` (a fitted
remote estimator of the best model, which ``predict``, ``predict_proba`` and ``score`` use).
Values of ``param_space`` are lists, ``{"low", "high", "log", "integer"}`` ranges, or
scipy.stats ``uniform``, ``loguniform`` and ``randint`` distributions.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from mlpforge.client import Client, Search
from mlpforge.remote._data import uploaded

__all__ = ["RemoteSearchCV"]

# scikit-learn's scoring names → (the service's metric, the sign of best_score_).
SCORING: dict[str, tuple[str, int]] = {
    "accuracy": ("accuracy", 1),
    "balanced_accuracy": ("balanced_accuracy", 1),
    "f1_macro": ("f1_macro", 1),
    "neg_log_loss": ("log_loss", -1),
    "roc_auc": ("roc_auc", 1),
    "neg_root_mean_squared_error": ("rmse", -1),
    "neg_mean_absolute_error": ("mae", -1),
    "r2": ("r2", 1),
    "val_score": ("val_score", 1),
    "neg_val_loss": ("val_loss", -1),
}
POLL_SECS = 1.0


def dimension(values: Any) -> Any:
    """A ``param_space`` value as the API takes it."""
    if isinstance(values, dict):
        return dict(values)
    frozen = getattr(values, "dist", None)
    if frozen is not None:
        name = frozen.name
        args = dict(zip(("a", "b"), values.args, strict=False)) | values.kwds
        if name in ("loguniform", "reciprocal"):
            return {"low": float(args["a"]), "high": float(args["b"]), "log": True}
        if name == "uniform":
            loc, scale = (
                float(args.get("a", args.get("loc", 0.0))),
                args.get("b", args.get("scale", 1.0)),
            )
            return {"low": loc, "high": loc + float(scale)}
        if name == "randint":
            return {"low": int(args["a"]), "high": int(args["b"]) - 1, "integer": True}
        raise ValueError(
            f"param_space: scipy's {name!r} is not offered (uniform, loguniform, randint)"
        )
    return [_plain(value) for value in values]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list | np.ndarray):
        return [int(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


class RemoteSearchCV(BaseEstimator):
    def __init__(
        self,
        estimator: Any,
        param_space: dict[str, Any],
        *,
        strategy: str = "random",
        n_iter: int | None = 10,
        scoring: str | None = None,
        cv: int | None = 5,
        refit: bool = True,
        max_parallel: int = 4,
        random_state: int | None = None,
        factor: float = 3,
        min_resources: int | str = "exhaust",
        max_resources: int | None = None,
        url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        name: str | None = None,
        keep_data: bool = False,
    ) -> None:
        self.estimator = estimator
        self.param_space = param_space
        self.strategy = strategy
        self.n_iter = n_iter
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.max_parallel = max_parallel
        self.random_state = random_state
        self.factor = factor
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self.name = name
        self.keep_data = keep_data

    def _client(self) -> Client:
        return Client(self.url or self.estimator.url, self.api_key or self.estimator.api_key)

    def _body(self, dataset_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "dataset_id": dataset_id,
            "task": self.estimator._task,
            "params": self.estimator._train_params(),
            "space": {name: dimension(values) for name, values in self.param_space.items()},
            "strategy": self.strategy,
            "max_parallel": self.max_parallel,
            "cv": self.cv,
            "refit": self.refit,
            "random_state": self.random_state,
            "name": self.name,
        }
        if self.strategy != "grid" and self.n_iter is not None:
            body["max_trials"] = self.n_iter
        if self.scoring is not None:
            if self.scoring not in SCORING:
                raise ValueError(f"scoring: one of {', '.join(SCORING)}; got {self.scoring!r}")
            body["objective"] = {"metric": SCORING[self.scoring][0]}
        if self.strategy == "halving":
            body["halving"] = {
                "factor": self.factor,
                "min_resources": self.min_resources,
                "max_resources": self.max_resources,
            }
        return {key: value for key, value in body.items() if value is not None}

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RemoteSearchCV:
        X, y = np.asarray(X), np.asarray(y)
        with self._client() as client:
            with uploaded(client, X, y, keep=self.keep_data, sample_weight=sample_weight) as upload:
                upload.work = search = client.create_search(self._body(upload.dataset.id))
                self.search_id_ = search.id
                upload.work = search = self._wait(client, search)
            if search.status != "succeeded":
                error = search.to_dict().get("error") or {}
                raise RuntimeError(f"search {search.id} {search.status}: {error.get('message')}")
            self._read_results(search, X, y, client)
        return self

    def _wait(self, client: Client, search: Search) -> Search:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while not search.finished:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"search {search.id} still {search.status}")
            time.sleep(POLL_SECS)
            search = client.get_search(search.id)
        return search

    def _read_results(self, search: Search, X: np.ndarray, y: np.ndarray, client: Client) -> None:
        sign = SCORING[self.scoring][1] if self.scoring is not None else 1
        trials = sorted(search.leaderboard, key=lambda t: (t.get("rung") or 0, t["candidate"]))
        self.search_ = search
        self.cv_results_ = cv_results(trials, sign, self.cv)
        best = next(t for t in trials if t["job_id"] == search.leaderboard[0]["job_id"])
        self.best_index_ = trials.index(best)
        self.best_params_ = dict(search.best_params or {})
        self.best_score_ = sign * float(search.best_objective or np.nan)
        self.best_model_id_ = search.best_model_id
        self.n_splits_ = self.cv or 1
        model = client.get_model(str(search.best_model_id))
        estimator = clone(self.estimator).set_params(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in self.best_params_.items()}
        )
        estimator.model_id_ = model.id
        estimator.job_id_ = model.job_id
        estimator.n_features_in_ = X.shape[1]
        if model.classes is not None:
            estimator.classes_ = np.asarray(model.classes, dtype=y.dtype)
        self.best_estimator_ = estimator
        self.classes_ = getattr(estimator, "classes_", None)

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "best_estimator_")
        return np.asarray(self.best_estimator_.predict(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "best_estimator_")
        return np.asarray(self.best_estimator_.predict_proba(X))

    def score(self, X: Any, y: Any) -> float:
        check_is_fitted(self, "best_estimator_")
        return float(self.best_estimator_.score(X, y))


def cv_results(trials: list[dict[str, Any]], sign: int, folds: int | None) -> dict[str, Any]:
    """scikit-learn's ``cv_results_`` of the leaderboard's trials (in candidate order)."""
    scores = np.array([np.nan if t["objective"] is None else sign * t["objective"] for t in trials])
    order = np.argsort(-np.where(np.isnan(scores), -np.inf, scores), kind="stable")
    ranks = np.empty(len(trials), dtype=np.int32)
    ranks[order] = np.arange(1, len(trials) + 1)
    results: dict[str, Any] = {
        "params": [t["params"] for t in trials],
        "mean_test_score": scores,
        "rank_test_score": ranks,
        "mean_fit_time": np.array([(t["seconds"] or 0.0) / (folds or 1) for t in trials]),
        "job_id": [t["job_id"] for t in trials],
        "epochs": np.array([t["epochs"] for t in trials]),
    }
    for name in sorted({name for t in trials for name in t["params"]}):
        results[f"param_{name}"] = np.ma.MaskedArray(
            np.array([t["params"].get(name) for t in trials], dtype=object),
            mask=[name not in t["params"] for t in trials],
        )
    if folds:
        splits = [
            [np.nan if v is None else sign * v for v in (t["fold_objectives"] or [])]
            for t in trials
        ]
        for i in range(folds):
            results[f"split{i}_test_score"] = np.array(
                [s[i] if len(s) > i else np.nan for s in splits]
            )
        results["std_test_score"] = np.array([np.std(s) if s else np.nan for s in splits])
    if any(t.get("rung") is not None for t in trials):
        results["iter"] = np.array([t["rung"] for t in trials])
        results["n_resources"] = np.array([t["resources"] for t in trials])
    return results
