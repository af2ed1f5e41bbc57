"""A fitted model: weights, preprocessing, and the state a continued fit starts from.

Persistence lives outside it (engine.serialization: ``dump_model`` / ``load_model``), as
scikit-learn keeps it outside its estimators; every field serialization reads is public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.architecture import count_parameters
from engine.network import predict_output
from engine.params import MLPParams, Task
from engine.preprocessing import standardize
from engine.report import EPOCH_METRICS, EpochReport


@dataclass(frozen=True)
class TrainingState:
    """What continuing the fit needs besides the weights (``Trainer.from_model``): the solver's
    state (Adam's moments, sgd's velocity, the step count), the learning-rate schedule, the
    stopping rule, and the samples seen (scikit-learn's ``t_``). Host arrays."""

    solver: str
    optimizer_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    optimizer_scalars: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    stopping: dict[str, Any] = field(default_factory=dict)
    samples_seen: int = 0


class FittedModel:
    """Predicts from raw inputs; all arrays live on the host (numpy), in the training dtype.

    ``coefs_`` / ``intercepts_`` act on standardized inputs (``x_mean_``, ``x_scale_``) and give
    standardized targets (``y_mean_``, ``y_scale_``) — scikit-learn's names, the engine's scale.
    """

    def __init__(
        self,
        *,
        task: Task,
        layers: Sequence[tuple[np.ndarray, np.ndarray]],
        activation: str,
        output_activation: str,
        params: MLPParams,
        classes: np.ndarray | None = None,
        x_mean: np.ndarray | None = None,
        x_scale: np.ndarray | None = None,
        y_mean: np.ndarray | None = None,
        y_scale: np.ndarray | None = None,
        history: list[EpochReport] | None = None,
        best_epoch: int | None = None,
        multilabel: bool = False,
        training: TrainingState | None = None,
    ) -> None:
        self.task: Task = task
        self.coefs_ = [np.asarray(w) for w, _ in layers]
        self.intercepts_ = [np.asarray(b) for _, b in layers]
        self.activation = activation
        self.output_activation = output_activation
        self.params = params
        self.classes_ = classes
        self.multilabel = multilabel
        self.x_mean_, self.x_scale_ = x_mean, x_scale
        self.y_mean_, self.y_scale_ = y_mean, y_scale
        self.history: list[EpochReport] = list(history or [])
        self.n_iter_ = len(self.history)
        self.best_epoch = best_epoch
        self.training = training
        self.n_features_in_ = int(self.coefs_[0].shape[0])
        self.n_outputs_ = int(self.coefs_[-1].shape[1])
        self.hidden_layer_sizes = tuple(int(w.shape[1]) for w in self.coefs_[:-1])
        self.n_parameters = count_parameters(
            self.n_features_in_, self.hidden_layer_sizes, self.n_outputs_
        )
        self.dtype = self.coefs_[0].dtype

    @property
    def standardized(self) -> bool:
        return self.x_mean_ is not None

    @property
    def t_(self) -> int:
        """Training samples seen over every fit that led here (scikit-learn's ``t_``)."""
        return 0 if self.training is None else self.training.samples_seen

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W [fan_in, fan_out], b [fan_out]) per layer, in the training dtype (no copies)."""
        return list(zip(self.coefs_, self.intercepts_, strict=True))

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W, b) per layer as float32 copies (ONNX's type)."""
        return [(w.astype(np.float32), b.astype(np.float32)) for w, b in self.weights()]

    def _checked(self, X: Any) -> np.ndarray:
        """X as a 2-D numeric array of this model's width, all finite (else ValueError)."""
        X = np.asarray(X)
        if X.ndim == 1:  # one row
            X = X.reshape(1, -1)
        if X.ndim != 2:
            raise ValueError(f"X: expected a 2-D array [n_samples, n_features], got {X.ndim}-D")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features, got {X.shape[1]}")
        if X.dtype.kind not in "biuf":
            try:
                X = X.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"X: features must be numbers ({exc})") from exc
        if not np.isfinite(X).all():
            raise ValueError("X: features must be finite (no NaN or inf)")
        return X

    def _outputs(self, X: Any, *, validated: bool = False) -> np.ndarray:
        if not validated:
            X = self._checked(X)
        x = standardize(X, self.x_mean_, self.x_scale_, self.dtype)
        return predict_output(np, self.weights(), self.activation, self.output_activation, x)

    def predict_proba(self, X: Any, *, validated: bool = False) -> np.ndarray:
        """[n, n_classes] class probabilities (binary gives two columns; multilabel one per
        label, each that label's own probability).

        ``validated``: X is already a finite 2-D array of ``n_features_in_`` columns (the API's
        parsers check exactly that, and name the bad cell), so the checks are not repeated.
        """
        if self.task != "classification":
            raise ValueError("predict_proba is only available for classification models")
        p = self._outputs(X, validated=validated)
        if p.shape[1] == 1 and not self.multilabel:
            return np.hstack([1.0 - p, p])
        return p

    def predict(self, X: Any, *, validated: bool = False) -> np.ndarray:
        """Original class labels (multilabel: 0/1 indicator rows, int64, as scikit-learn), or
        targets in the training dtype (1-D for one target, 2-D for many). ``validated``: as
        for `predict_proba`."""
        if self.task == "classification":
            assert self.classes_ is not None
            if self.multilabel:
                return (self._outputs(X, validated=validated) > 0.5).astype(np.int64)
            return self.classes_[np.argmax(self.predict_proba(X, validated=validated), axis=1)]
        out = self._outputs(X, validated=validated)
        if self.y_scale_ is not None and self.y_mean_ is not None:
            out *= self.y_scale_
            out += self.y_mean_
        return out.ravel() if out.shape[1] == 1 else out

    def final_metrics(self) -> dict[str, float | None]:
        """loss, val_loss, val_score, train_rmse and learning_rate of the last epoch (None
        when absent)."""
        last: dict[str, Any] = dict(self.history[-1]) if self.history else {}
        return {key: last.get(key) for key in EPOCH_METRICS}
