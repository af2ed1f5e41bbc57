"""``POST /v1/models/{id}/predict``: rows sent in chunks, answers read as numpy arrays."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np

from mlpforge.client._arrays import feature_array, labels_array
from mlpforge.client._calls import MODELS, Call, json_body
from mlpforge.client._models import Identified, Prediction

# Rows per predict request: well under the server's MLPFORGE_MAX_PREDICT_ROWS (100,000).
PREDICT_CHUNK_ROWS = 10_000


def predict_chunks(model: str | Identified, X: Any) -> list[Call[Prediction]]:
    """One call per PREDICT_CHUNK_ROWS rows (an empty X makes no call)."""
    rows = feature_array(X)
    calls = []
    for start in range(0, len(rows), PREDICT_CHUNK_ROWS):
        content, headers = json_body({"inputs": rows[start : start + PREDICT_CHUNK_ROWS]})
        path = MODELS.item(model, "predict")
        calls.append(Call("POST", path, _prediction, content=content, headers=headers))
    return calls


def _prediction(response: httpx.Response) -> Prediction:
    body = response.json()
    probabilities = body.get("probabilities")
    classes = body.get("classes")
    return Prediction(
        predictions=labels_array(body["predictions"]),
        probabilities=np.asarray(probabilities, dtype=np.float64)
        if probabilities is not None
        else None,
        classes=labels_array(classes) if classes is not None else None,
    )


def join_predictions(parts: list[Prediction]) -> Prediction:
    if not parts:
        empty = np.empty((0,), dtype=np.float64)
        return Prediction(predictions=empty)
    if len(parts) == 1:
        return parts[0]
    probabilities = [part.probabilities for part in parts]
    return Prediction(
        predictions=np.concatenate([part.predictions for part in parts]),
        probabilities=np.concatenate([p for p in probabilities if p is not None])
        if probabilities[0] is not None
        else None,
        classes=parts[0].classes,
    )
