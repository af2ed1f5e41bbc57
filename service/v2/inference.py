"""One V2 inference: request bytes in, response bytes out, with the model's own numpy pass
(the same numbers as /v1/models/{id}/predict) and the ONNX export's output names."""

from __future__ import annotations

import time

import numpy as np

from engine import FittedModel
from service.errors import invalid
from service.exports.signature import label_dtype, output_specs
from service.metrics.instruments import observe_prediction
from service.prediction import predicted_labels
from service.v2.tensors import Request, encode_response, input_matrix, parse_request


def output_values(model: FittedModel, X: np.ndarray) -> dict[str, np.ndarray]:
    """Each output of `output_specs` for the rows of ``X``."""
    with np.errstate(all="ignore"):
        if model.task == "classification":
            assert model.classes_ is not None
            probabilities = model.predict_proba(X)
            _finite(probabilities)
            labels = predicted_labels(model, probabilities)
            dtype = np.dtype(np.int64) if model.multilabel else label_dtype(model.classes_)
            if dtype is not str:
                labels = labels.astype(dtype)
            return {"label": labels, "probabilities": probabilities}
        predictions = np.asarray(model.predict(X), dtype=np.float64)
    _finite(predictions)
    return {"predictions": predictions}


def _finite(outputs: np.ndarray) -> None:
    """Inputs far outside the training data can overflow the network: a 422, never NaN."""
    bad = ~np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise invalid(
            ["body", "inputs", 0, "data", row],
            f"row {row}: the model's output overflows for these values; they are far "
            "outside the range of the training data",
        )


def parse(
    body: bytes, header_length: str | None, n_features: int, max_rows: int
) -> tuple[Request, np.ndarray]:
    """The validated request and its input matrix (422/413 naming what is wrong)."""
    request = parse_request(body, header_length)
    return request, input_matrix(request, n_features, max_rows)


def answer(
    model: FittedModel, model_name: str, request: Request, X: np.ndarray
) -> tuple[bytes, int | None]:
    """The response body, and its JSON header's length when binary outputs follow it."""
    began = time.perf_counter()
    values = output_values(model, X)
    encoded = encode_response(model_name, request.header, output_specs(model), values)
    observe_prediction(X.shape[0], time.perf_counter() - began, protocol="v2")
    return encoded
