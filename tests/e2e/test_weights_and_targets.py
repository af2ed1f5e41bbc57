"""Through HTTP with a real worker: weighted datasets, multilabel and multi-output targets and
poisson regression — upload, train, predict, export to ONNX."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import onnxruntime as ort

from engine import MLPParams, Trainer, load_model
from tests.e2e.helpers import blobs, submit, wait_for

TOLERANCE: dict[str, Any] = {"rtol": 1e-5, "atol": 1e-5}


def _upload(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/datasets", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _trained(client: httpx.Client, dataset_id: str, **job: Any) -> dict[str, Any]:
    done = wait_for(client, submit(client, dataset_id, **job)["id"])
    assert done["status"] == "succeeded", done
    return done


def _predict(client: httpx.Client, model_id: str, X: np.ndarray) -> dict[str, Any]:
    answer = client.post(f"/v1/models/{model_id}/predict", json={"inputs": X.tolist()})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _onnx(client: httpx.Client, model_id: str, X: np.ndarray) -> dict[str, np.ndarray]:
    answer = client.get(f"/v1/models/{model_id}/export", params={"format": "onnx"})
    assert answer.status_code == 200, answer.text
    session = ort.InferenceSession(answer.content, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    values = session.run(None, {"input": X.astype(np.float32)})
    return dict(zip(names, values, strict=True))


def test_a_weighted_dataset_trains_as_the_engine_does_with_those_weights(
    alice: httpx.Client,
) -> None:
    X, y = blobs(240)
    # "red" rows weigh nothing: the weighted model learns the other two classes only
    weights = [0.0 if label == "red" else 1.0 + (i % 3) for i, label in enumerate(y)]
    params = {"hidden_layer_sizes": [8], "max_iter": 30, "random_state": 0}
    weighted = _upload(alice, features=X.tolist(), targets=y, weights=weights)
    assert weighted["has_weights"] is True
    done = _trained(alice, weighted["id"], params=params)
    assert done["evaluation"]["train"]["weighted"] is True

    blob = alice.get(f"/v1/models/{done['model_id']}/export").content
    served = load_model(blob)
    local = Trainer(
        X.astype(np.float32),
        np.asarray(y),
        task="classification",
        params=MLPParams(**params),  # type: ignore[arg-type]
        sample_weight=np.asarray(weights),
    ).run()
    for a, b in zip(
        served.coefs_ + served.intercepts_, local.coefs_ + local.intercepts_, strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)

    plain = _trained(alice, _upload(alice, features=X.tolist(), targets=y)["id"], params=params)
    assert plain["evaluation"]["train"]["weighted"] is False
    reds = [
        sum(label == "red" for label in _predict(alice, job["model_id"], X)["predictions"])
        for job in (done, plain)
    ]
    assert reds[0] < reds[1]  # weightless rows pull the model less towards their class


def test_multilabel_upload_train_predict_export(alice: httpx.Client) -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 4)).round(3)
    labels = (X[:, :3] + 0.3 * X[:, 3:] > 0).astype(int)
    names = ["red", "round", "sweet"]
    dataset = _upload(alice, features=X.tolist(), targets=labels.tolist(), target_names=names)
    assert dataset["n_targets"] == 3 and dataset["target_kind"] == "categorical"
    params = {"hidden_layer_sizes": [16], "max_iter": 200, "learning_rate_init": 0.01}
    done = _trained(alice, dataset["id"], params=params)
    assert done["evaluation"]["train"]["accuracy"] > 0.9  # every label right on most rows
    model = alice.get(f"/v1/models/{done['model_id']}").json()
    assert model["multilabel"] is True and model["target_names"] == names

    answer = _predict(alice, done["model_id"], X[:30])
    predictions = np.asarray(answer["predictions"])
    assert predictions.shape == (30, 3) and answer["classes"] == [0, 1, 2]
    onnx = _onnx(alice, done["model_id"], X[:30])
    np.testing.assert_array_equal(onnx["label"], predictions)
    np.testing.assert_allclose(onnx["probabilities"], answer["probabilities"], **TOLERANCE)


def test_multi_output_regression_upload_train_predict_export(alice: httpx.Client) -> None:
    rng = np.random.default_rng(6)
    X = rng.normal(size=(200, 3)).round(3)
    targets = np.stack([X[:, 0] * 50 + 1000, X[:, 1] - X[:, 2]], axis=1).round(3)
    dataset = _upload(alice, features=X.tolist(), targets=targets.tolist())
    assert dataset["n_targets"] == 2 and dataset["target_kind"] == "continuous"
    params = {"hidden_layer_sizes": [16], "max_iter": 200, "learning_rate_init": 0.01}
    done = _trained(alice, dataset["id"], params=params)
    assert done["task"] == "regression" and done["evaluation"]["train"]["r2"] > 0.9
    predictions = np.asarray(_predict(alice, done["model_id"], X[:30])["predictions"])
    assert predictions.shape == (30, 2)
    onnx = _onnx(alice, done["model_id"], X[:30])
    np.testing.assert_allclose(onnx["predictions"], predictions, **TOLERANCE)


def test_poisson_regression_upload_train_predict_export(alice: httpx.Client) -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 3)).round(3)
    counts = rng.poisson(np.exp(0.8 * X[:, 0] + 0.5)).astype(float)
    dataset = _upload(alice, features=X.tolist(), targets=counts.tolist())
    params = {
        "hidden_layer_sizes": [8],
        "max_iter": 200,
        "learning_rate_init": 0.01,
        "loss": "poisson",
    }
    done = _trained(alice, dataset["id"], task="regression", params=params)
    assert done["params"]["loss"] == "poisson"
    predictions = np.asarray(_predict(alice, done["model_id"], X)["predictions"])
    assert (predictions > 0).all()
    # the rate follows the feature it was drawn from
    assert np.corrcoef(np.log(predictions), X[:, 0])[0, 1] > 0.8
    onnx = _onnx(alice, done["model_id"], X)
    np.testing.assert_allclose(onnx["predictions"], predictions, **TOLERANCE)
