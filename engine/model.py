"""A fitted model: weights, preprocessing and what is needed to explain and export it."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.architecture import count_parameters
from engine.network import predict_output
from engine.params import MLPParams, Task
from engine.preprocessing import standardize
from engine.report import EPOCH_METRICS, EpochReport


class FittedModel:
    """Predicts from raw inputs; all arrays live on the host (numpy)."""

    def __init__(
        self,
        *,
        task: Task,
        layers: list[tuple[np.ndarray, np.ndarray]],
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
    ) -> None:
        self.task: Task = task
        self._layers = layers
        self.activation = activation
        self.output_activation = output_activation
        self.params = params
        self.classes_ = classes
        self.x_mean_, self.x_scale_ = x_mean, x_scale
        self.y_mean_, self.y_scale_ = y_mean, y_scale
        self.history: list[EpochReport] = list(history or [])
        self.n_iter_ = len(self.history)
        self.best_epoch = best_epoch
        self.n_features_in_ = int(layers[0][0].shape[0])
        self.n_outputs_ = int(layers[-1][0].shape[1])
        self.hidden_layer_sizes = tuple(int(w.shape[1]) for w, _ in layers[:-1])
        self.n_parameters = count_parameters(
            self.n_features_in_, self.hidden_layer_sizes, self.n_outputs_
        )
        self.dtype = layers[0][0].dtype

    def _outputs(self, X: Any) -> np.ndarray:
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
        x = standardize(X, self.x_mean_, self.x_scale_, self.dtype)
        return predict_output(np, self._layers, self.activation, self.output_activation, x)

    def predict_proba(self, X: Any) -> np.ndarray:
        """[n, n_classes] class probabilities (binary gives two columns)."""
        if self.task != "classification":
            raise ValueError("predict_proba is only available for classification models")
        p = self._outputs(X)
        if p.shape[1] == 1:
            return np.hstack([1.0 - p, p])
        return p

    def predict(self, X: Any) -> np.ndarray:
        """Original class labels, or float64 targets (1-D for one target, 2-D for many)."""
        if self.task == "classification":
            assert self.classes_ is not None
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        out = self._outputs(X).astype(np.float64)
        if self.y_scale_ is not None and self.y_mean_ is not None:
            out *= self.y_scale_
            out += self.y_mean_
        return out.ravel() if out.shape[1] == 1 else out

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W [fan_in, fan_out], b [fan_out]) per layer, float32 copies (for ONNX export)."""
        return [(w.astype(np.float32), b.astype(np.float32)) for w, b in self._layers]

    def final_metrics(self) -> dict[str, float | None]:
        """loss, val_loss, val_score, train_rmse and learning_rate of the last epoch (None
        when absent)."""
        last: dict[str, Any] = dict(self.history[-1]) if self.history else {}
        return {key: last.get(key) for key in EPOCH_METRICS}

    def metadata(self) -> dict[str, Any]:
        """JSON-able description: task, classes, shapes, params, versions."""
        from engine.serialization import versions

        return {
            "task": self.task,
            "classes": None if self.classes_ is None else self.classes_.tolist(),
            "n_features": self.n_features_in_,
            "n_outputs": self.n_outputs_,
            "hidden_layer_sizes": list(self.hidden_layer_sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "n_parameters": self.n_parameters,
            "params": self.params.to_dict(),
            "n_iter": self.n_iter_,
            "best_epoch": self.best_epoch,
            "standardized": self.x_mean_ is not None,
            "dtype": str(np.dtype(self.dtype)),
            "versions": versions(),
        }

    def to_bytes(self) -> bytes:
        """One safetensors blob: weights, scalers, and the metadata JSON in its header."""
        from engine.serialization import dump_model

        return dump_model(self)

    @classmethod
    def from_bytes(cls, blob: bytes) -> FittedModel:
        """Load ``to_bytes()`` output; a bad blob raises ModelFormatError."""
        from engine.serialization import load_model

        return load_model(blob)
