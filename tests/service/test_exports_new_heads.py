"""The heads issue 10 added — multilabel (a sigmoid per label), multi-output regression,
poisson (an exp output), and lbfgs-trained (float64) models — through every way out: ONNX
(onnxruntime), skops (scikit-learn), V2 and .npy answer what /predict answers, within 1e-5."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from store import Store
from tests.service.test_exports import (
    TOLERANCE,
    download,
    load_pipeline,
    onnx_outputs,
    predicted,
    rows,
)
from tests.trained_models import publish, train

HEADS: dict[str, tuple[str, dict[str, Any]]] = {
    "multilabel": ("multilabel", {}),
    "multi_output": ("two_targets", {}),
    "poisson": ("counts", {"loss": "poisson"}),
    "lbfgs_classifier": ("multiclass", {"solver": "lbfgs"}),
    "lbfgs_multilabel": ("multilabel", {"solver": "lbfgs", "activation": "tanh"}),
    "lbfgs_poisson": ("counts", {"solver": "lbfgs", "loss": "poisson"}),
}


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _model(store: Store, head: str) -> tuple[str, str]:
    kind, params = HEADS[head]
    extra = {k: v for k, v in params.items() if k != "activation"}
    return publish(store, train(kind, params.get("activation", "relu"), **extra)), kind


def _v2(client: TestClient, model_id: str, X: np.ndarray) -> dict[str, np.ndarray]:
    body = {"inputs": [{"name": "input", "shape": list(X.shape), "datatype": "FP32",
                        "data": X.tolist()}]}  # fmt: skip
    answer = client.post(f"/v2/models/{model_id}/infer", json=body)
    assert answer.status_code == 200, answer.text
    return {out["name"]: np.reshape(out["data"], out["shape"]) for out in answer.json()["outputs"]}


@pytest.mark.parametrize("head", list(HEADS))
def test_every_way_out_predicts_what_predict_does(
    client: TestClient, store: Store, head: str
) -> None:
    X = rows()
    model_id, kind = _model(store, head)
    expected = predicted(client, model_id, X)
    onnx = onnx_outputs(download(client, model_id, "onnx", "application/octet-stream"), X)
    pipeline = load_pipeline(download(client, model_id, "skops", "application/zip"))
    v2 = _v2(client, model_id, X)
    if kind in ("multilabel", "multiclass"):
        labels = np.asarray(expected["predictions"])
        if kind == "multilabel":
            assert labels.shape == (len(X), 3) and set(np.unique(labels)) <= {0, 1}
            assert onnx["label"].dtype == np.int64 and onnx["label"].shape == (len(X), 3)
            assert expected["classes"] == [0, 1, 2]
        for got in (onnx["label"], pipeline.predict(X), v2["label"]):
            np.testing.assert_array_equal(got, labels)
        for got in (onnx["probabilities"], pipeline.predict_proba(X), v2["probabilities"]):
            np.testing.assert_allclose(got, expected["probabilities"], **TOLERANCE)
    else:
        values = np.asarray(expected["predictions"])
        if kind == "counts":
            assert (values > 0).all()  # the exp output
        for got in (onnx["predictions"], pipeline.predict(X), v2["predictions"]):
            assert np.shape(got) == values.shape
            np.testing.assert_allclose(got, values, **TOLERANCE)


def test_the_skops_estimators_are_scikit_learns_own(client: TestClient, store: Store) -> None:
    model_id, _ = _model(store, "lbfgs_poisson")
    mlp = load_pipeline(download(client, model_id, "skops", "application/zip"))[-1]
    assert type(mlp).__name__ == "MLPRegressor"  # poisson's targets are not standardized
    assert mlp.loss == "poisson" and mlp.out_activation_ == "exp" and mlp.solver == "lbfgs"
    model_id, _ = _model(store, "multilabel")
    mlp = load_pipeline(download(client, model_id, "skops", "application/zip"))[-1]
    assert mlp.out_activation_ == "logistic" and mlp.classes_.tolist() == [0, 1, 2]


def test_npy_answers_for_the_new_heads(client: TestClient, store: Store) -> None:
    X = rows()
    for head, shape in (("multilabel", (len(X), 3)), ("multi_output", (len(X), 2))):
        model_id, _ = _model(store, head)
        buffer = io.BytesIO()
        np.save(buffer, X)
        answer = client.post(
            f"/v1/models/{model_id}/predict",
            content=buffer.getvalue(),
            headers={"Content-Type": "application/x-npy", "Accept": "application/x-npy"},
        )
        assert answer.status_code == 200, answer.text
        got = np.load(io.BytesIO(answer.content), allow_pickle=False)
        assert got.shape == shape
        np.testing.assert_allclose(got, predicted(client, model_id, X)["predictions"], **TOLERANCE)
