"""What RemoteMLPClassifier and RemoteMLPRegressor share: which parameters a job is sent,
fitting on the service (upload, train, wait, read back) and predicting with the model."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Self

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlpforge.client import Client, Event, HistoryEntry, Job, Model, Prediction
from mlpforge.remote._data import uploaded

# Parameters of the estimator that are not training parameters of the job.
SERVICE_PARAMS = frozenset(
    {
        "url",
        "api_key",
        "device",
        "max_runtime_secs",
        "timeout",
        "name",
        "tags",
        "keep_data",
        "verbose",
        "warm_start",
    }
)


def set_init_params(estimator: BaseEstimator, values: dict[str, Any]) -> None:
    """``__init__``'s body: store every argument as it is (scikit-learn's rule), from the
    ``locals()`` of an ``__init__`` that lists the parameters explicitly."""
    for name, value in values.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class RemoteMLP(BaseEstimator):
    """The service behind scikit-learn's MLP interface; subclasses spell the parameters."""

    _task: ClassVar[str]

    def _client(self) -> Client:
        return Client(self.url, self.api_key)

    def _train_params(self) -> dict[str, Any]:
        """The job's params: those that differ from their default (the server's are the same)."""
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
            if parameter.default is not inspect.Parameter.empty
        }
        params: dict[str, Any] = {}
        for name in self._get_param_names():
            if name in SERVICE_PARAMS:
                continue
            value = getattr(self, name)
            if name == "random_state" and value is not None:
                value = _seed(value)
            if name == "hidden_layer_sizes":
                value = [int(units) for units in np.atleast_1d(value)]
                if value == list(defaults[name]):
                    continue
            elif _same(value, defaults.get(name, inspect.Parameter.empty)):
                continue
            params[name] = value.item() if isinstance(value, np.generic) else value
        return params

    # ------------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Self:
        """Upload X and y, train on the service, wait; raises JobFailedError on failure."""
        regression = self._task == "regression"
        X, y = validate_data(
            self, X, y, reset=True, dtype="numeric", multi_output=True, y_numeric=regression
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if not regression:
            check_classification_targets(y)
        with self._client() as client:
            job = self._train(client, X, y, sample_weight)
            assert job.model_id is not None
            history = client.job_metrics(job.id)
            model = client.get_model(job.model_id)
        self._set_fitted(job, history, model, y)
        return self

    def _train(self, client: Client, X: np.ndarray, y: np.ndarray, sample_weight: Any) -> Job:
        """The finished job, trained on X and y uploaded for it (JobFailedError if it failed)."""
        feature_names = getattr(self, "feature_names_in_", None)
        with uploaded(
            client,
            X,
            y,
            keep=self.keep_data,
            name=self.name or type(self).__name__,
            feature_names=[str(n) for n in feature_names] if feature_names is not None else None,
            sample_weight=sample_weight,
        ) as upload:
            upload.work = job = client.train(
                upload.dataset.id,
                self._task,
                self._train_params(),
                device=self.device,
                max_runtime_secs=self.max_runtime_secs,
                name=self.name,
                tags=self.tags,
                init_model_id=getattr(self, "model_id_", None) if self.warm_start else None,
            )
            self.job_id_ = job.id
            upload.work = job = client.wait(
                job.id,
                timeout=self.timeout,
                on_event=self._report if self.verbose else None,
                raise_on_failure=True,
            )
        self.dataset_id_ = upload.dataset.id
        return job

    def _set_fitted(
        self, job: Job, history: list[HistoryEntry], model: Model, y: np.ndarray
    ) -> None:
        self.job_ = job
        self.model_id_ = model.id
        self.n_iter_ = job.epoch or len(history)
        self.loss_curve_ = [entry.loss for entry in history]
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.validation_scores_: list[float | None] | None
        if self.early_stopping:
            self.validation_scores_ = [entry.val_score for entry in history]
            scores = [score for score in self.validation_scores_ if score is not None]
            self.best_validation_score_ = max(scores) if scores else None
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else None
        if self._task != "regression":
            self.classes_ = np.asarray(model.classes or [], dtype=y.dtype)

    def _report(self, event: Event) -> None:
        entry = event.entry
        if entry is not None:
            print(f"Iteration {entry.epoch}, loss = {entry.loss:.8f}")

    # ------------------------------------------------------------------ predict

    def _predict_full(self, X: Any) -> Prediction:
        check_is_fitted(self, "model_id_")
        X = validate_data(self, X, reset=False, dtype="numeric")
        with self._client() as client:
            return client.predict_full(self.model_id_, X)


def _seed(random_state: Any) -> int:
    """An integer seed for the server: an int as it is, a RandomState drawn from (as
    scikit-learn does when it needs a seed)."""
    if isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _same(value: Any, default: Any) -> bool:
    if default is inspect.Parameter.empty:
        return False
    if type(value) is bool or type(default) is bool:
        return type(value) is type(default) and value == default
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False
