"""scikit-learn estimators that train on an mlpforge service: change one import.

>>> from mlpforge.remote import RemoteMLPClassifier   # instead of sklearn.neural_network
>>> clf = RemoteMLPClassifier(hidden_layer_sizes=(32,), max_iter=50, url="http://...")
>>> clf.fit(X_train, y_train).score(X_test, y_test)

``fit`` uploads the data, starts a job with the estimator's parameters, waits for it (raising
:class:`~mlpforge.client.JobFailedError` if it fails) and reads back the model and its history;
``predict``, ``predict_proba`` and ``score`` call the service with the trained model. The
parameters are scikit-learn's ``MLPClassifier``/``MLPRegressor``'s (same names, meanings and
defaults) plus mlpforge's extras and a few of the service's own (``url``, ``api_key``,
``device``, ``max_runtime_secs``, ``timeout``, ``name``, ``tags``, ``keep_data``). Only
parameters that differ from their default are sent, so a server that does not know an
unused one (say ``max_fun``) is never bothered with it.

The fitted estimator holds ids, not a connection: it pickles, ``clone``s and works in
``GridSearchCV`` and pipelines like any other estimator.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlpforge.client import Client, Event, Job, MlpforgeError

__all__ = ["RemoteMLPClassifier", "RemoteMLPRegressor"]

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


class _RemoteMLP(BaseEstimator):
    _task: ClassVar[str]

    # ------------------------------------------------------------------ what is sent

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

    def _fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        regression = self._task == "regression"
        X, y = validate_data(
            self, X, y, reset=True, dtype="numeric", multi_output=True, y_numeric=regression
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if not regression:
            check_classification_targets(y)
        feature_names = getattr(self, "feature_names_in_", None)
        init_model_id = getattr(self, "model_id_", None) if self.warm_start else None
        with self._client() as client:
            dataset = client.upload_dataset(
                X,
                y,
                name=self.name or type(self).__name__,
                feature_names=[str(n) for n in feature_names]
                if feature_names is not None
                else None,
                sample_weight=sample_weight,
            )
            job: Job | None = None
            try:
                job = client.train(
                    dataset.id,
                    self._task,
                    self._train_params(),
                    device=self.device,
                    max_runtime_secs=self.max_runtime_secs,
                    name=self.name,
                    tags=self.tags,
                    init_model_id=init_model_id,
                )
                self.job_id_ = job.id
                job = client.wait(
                    job.id,
                    timeout=self.timeout,
                    on_event=self._report if self.verbose else None,
                    raise_on_failure=True,
                )
            finally:
                # A job still queued or running (wait interrupted) may yet read its dataset.
                if not self.keep_data and (job is None or job.finished):
                    with contextlib.suppress(MlpforgeError):
                        client.delete_dataset(dataset.id)
            assert job.model_id is not None
            history = client.job_metrics(job.id)
            model = client.get_model(job.model_id)
        self.dataset_id_ = dataset.id
        self.job_ = job
        self.model_id_ = job.model_id
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
        if not regression:
            self.classes_ = np.asarray(model.classes or [], dtype=y.dtype)
        return self

    def _report(self, event: Event) -> None:
        entry = event.entry
        if entry is not None:
            print(f"Iteration {entry.epoch}, loss = {entry.loss:.8f}")

    # ------------------------------------------------------------------ predict

    def _predict_full(self, X: Any) -> Any:
        check_is_fitted(self, "model_id_")
        X = validate_data(self, X, reset=False, dtype="numeric")
        with self._client() as client:
            return client.predict_full(self.model_id_, X)


class RemoteMLPClassifier(ClassifierMixin, _RemoteMLP):
    """scikit-learn's ``MLPClassifier``, trained and served by an mlpforge service.

    Fitted attributes: ``classes_``, ``n_features_in_`` (and ``feature_names_in_`` for a
    DataFrame), ``model_id_``, ``job_id_``, ``dataset_id_``, ``job_`` (the finished job, with
    its ``evaluation``), ``n_iter_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_``,
    ``best_validation_score_``, ``n_outputs_``.
    """

    _task: ClassVar[str] = "classification"

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        rho: float = 0.9,
        weight_decay: float = 0.01,
        l1: float = 0.0,
        dropout: float = 0.0,
        clip_grad_norm: float | None = None,
        standardize: bool = True,
        restore_best_weights: bool | None = None,
        url: str | None = None,
        api_key: str | None = None,
        device: str | None = None,
        max_runtime_secs: int | None = None,
        timeout: float | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        keep_data: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.rho = rho
        self.weight_decay = weight_decay
        self.l1 = l1
        self.dropout = dropout
        self.clip_grad_norm = clip_grad_norm
        self.standardize = standardize
        self.restore_best_weights = restore_best_weights
        self.url = url
        self.api_key = api_key
        self.device = device
        self.max_runtime_secs = max_runtime_secs
        self.timeout = timeout
        self.name = name
        self.tags = tags
        self.keep_data = keep_data

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RemoteMLPClassifier:
        """Upload X and y, train on the service, wait; raises JobFailedError on failure."""
        return self._fit(X, y, sample_weight)  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        labels: np.ndarray = self._predict_full(X).predictions
        return labels.astype(self.classes_.dtype, copy=False)

    def predict_proba(self, X: Any) -> np.ndarray:
        prediction = self._predict_full(X)
        probabilities: np.ndarray = prediction.probabilities
        served = prediction.classes
        if served is not None and list(served) != list(self.classes_):
            order = {label: column for column, label in enumerate(served.tolist())}
            probabilities = probabilities[:, [order[label] for label in self.classes_.tolist()]]
        return probabilities

    def predict_log_proba(self, X: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


class RemoteMLPRegressor(RegressorMixin, _RemoteMLP):
    """scikit-learn's ``MLPRegressor``, trained and served by an mlpforge service (fitted
    attributes as :class:`RemoteMLPClassifier`'s, without ``classes_``). ``loss`` also takes
    mlpforge's ``absolute_error`` and ``huber``."""

    _task: ClassVar[str] = "regression"

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        rho: float = 0.9,
        weight_decay: float = 0.01,
        l1: float = 0.0,
        dropout: float = 0.0,
        clip_grad_norm: float | None = None,
        standardize: bool = True,
        restore_best_weights: bool | None = None,
        url: str | None = None,
        api_key: str | None = None,
        device: str | None = None,
        max_runtime_secs: int | None = None,
        timeout: float | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        keep_data: bool = False,
    ) -> None:
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.rho = rho
        self.weight_decay = weight_decay
        self.l1 = l1
        self.dropout = dropout
        self.clip_grad_norm = clip_grad_norm
        self.standardize = standardize
        self.restore_best_weights = restore_best_weights
        self.url = url
        self.api_key = api_key
        self.device = device
        self.max_runtime_secs = max_runtime_secs
        self.timeout = timeout
        self.name = name
        self.tags = tags
        self.keep_data = keep_data

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RemoteMLPRegressor:
        """Upload X and y, train on the service, wait; raises JobFailedError on failure."""
        return self._fit(X, y, sample_weight)  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        predictions: np.ndarray = self._predict_full(X).predictions
        if self.n_outputs_ == 1:
            return predictions.reshape(-1)
        return predictions


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
