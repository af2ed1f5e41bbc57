"""GET /v1/models/{id}/export: ONNX and skops files that predict what /predict predicts."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import redis
import skops.io as sio
from fastapi.testclient import TestClient

from engine import FittedModel, load_model
from store import Store
from tests.e2e.helpers import assert_problem
from tests.trained_models import ACTIVATIONS, features, publish, train

SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
TOLERANCE: dict[str, Any] = {"rtol": 1e-5, "atol": 1e-5}


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def rows() -> np.ndarray:
    """Rows the models never saw, some far outside the training range."""
    X = features(n=25, seed=7)
    X[:5] *= 3
    return X


def predicted(client: TestClient, model_id: str, X: np.ndarray) -> dict[str, Any]:
    answer = client.post(f"/v1/models/{model_id}/predict", json={"inputs": X.tolist()})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def download(client: TestClient, model_id: str, format: str, media_type: str) -> bytes:
    answer = client.get(f"/v1/models/{model_id}/export", params={"format": format})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == media_type
    assert answer.headers["content-disposition"] == f'attachment; filename="{model_id}.{format}"'
    return answer.content


def onnx_outputs(blob: bytes, X: np.ndarray) -> dict[str, np.ndarray]:
    model = onnx.load_from_string(blob)
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"input": X}), strict=True))


def exported(client: TestClient, store: Store, model: FittedModel) -> tuple[str, bytes]:
    model_id = publish(store, model)
    return model_id, download(client, model_id, "onnx", "application/octet-stream")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_classifiers_predict_what_predict_does(
    client: TestClient, store: Store, activation: str
) -> None:
    X = rows()
    for kind, label_type in (("binary", np.str_), ("multiclass", np.int64)):
        model_id, blob = exported(client, store, train(kind, activation))
        expected = predicted(client, model_id, X)
        outputs = onnx_outputs(blob, X)
        assert list(outputs) == ["label", "probabilities"]
        labels = outputs["label"]
        if label_type is np.str_:
            assert labels.dtype == object and all(isinstance(v, str) for v in labels)
        else:
            assert labels.dtype == np.int64
        assert labels.tolist() == expected["predictions"]
        assert outputs["probabilities"].shape == (len(X), len(expected["classes"]))
        np.testing.assert_allclose(outputs["probabilities"], expected["probabilities"], **TOLERANCE)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_regressors_predict_in_target_units(
    client: TestClient, store: Store, activation: str
) -> None:
    X = rows()
    for kind, shape in (("regression", (len(X),)), ("two_targets", (len(X), 2))):
        model_id, blob = exported(client, store, train(kind, activation))
        outputs = onnx_outputs(blob, X)
        assert list(outputs) == ["predictions"]
        assert outputs["predictions"].shape == shape
        expected = predicted(client, model_id, X)["predictions"]
        np.testing.assert_allclose(outputs["predictions"], expected, **TOLERANCE)


def test_an_unstandardized_model_exports_too(client: TestClient, store: Store) -> None:
    X = rows()
    for kind in ("binary", "regression"):
        model_id, blob = exported(client, store, train(kind, "tanh", standardize=False))
        expected = predicted(client, model_id, X)
        outputs = onnx_outputs(blob, X)
        first = "label" if kind == "binary" else "predictions"
        np.testing.assert_array_equal(outputs[first].shape, np.shape(expected["predictions"]))
        if kind == "binary":
            assert outputs["label"].tolist() == expected["predictions"]
        else:
            np.testing.assert_allclose(outputs["predictions"], expected["predictions"], **TOLERANCE)


def load_pipeline(blob: bytes) -> Any:
    # Nothing beyond skops's default trusted types (numpy, scikit-learn's estimators): the
    # file loads with an explicitly empty list of extra types.
    assert sio.get_untrusted_types(data=blob) == []
    return sio.loads(blob, trusted=[])


@pytest.mark.parametrize("activation", SKLEARN_ACTIVATIONS)
def test_skops_pipelines_predict_what_predict_does(
    client: TestClient, store: Store, activation: str
) -> None:
    X = rows()
    for kind in ("binary", "multiclass", "regression", "two_targets"):
        model_id = publish(store, train(kind, activation, solver="rmsprop", dropout=0.1))
        pipeline = load_pipeline(download(client, model_id, "skops", "application/zip"))
        assert [name for name, _ in pipeline.steps] == ["scaler", "mlp"]
        assert type(pipeline.steps[0][1]).__name__ == "StandardScaler"
        expected = predicted(client, model_id, X)
        if kind in ("binary", "multiclass"):
            assert type(pipeline[-1]).__name__ == "MLPClassifier"
            assert pipeline.predict(X).tolist() == expected["predictions"]
            assert pipeline.classes_.tolist() == expected["classes"]
            np.testing.assert_allclose(
                pipeline.predict_proba(X), expected["probabilities"], **TOLERANCE
            )
        else:
            # The engine standardizes targets; MLPRegressor cannot, so a
            # TransformedTargetRegressor holds the target scaler.
            assert type(pipeline[-1]).__name__ == "TransformedTargetRegressor"
            assert type(pipeline[-1].regressor_).__name__ == "MLPRegressor"
            np.testing.assert_allclose(pipeline.predict(X), expected["predictions"], **TOLERANCE)


def test_a_skops_pipeline_keeps_the_hyperparameters_scikit_learn_has(
    client: TestClient, store: Store
) -> None:
    model = train("binary", "tanh", solver="rmsprop", alpha=0.01, learning_rate_init=0.02)
    model_id = publish(store, model)
    pipeline = load_pipeline(download(client, model_id, "skops", "application/zip"))
    mlp = pipeline[-1]
    assert mlp.activation == "tanh" and mlp.hidden_layer_sizes == (5, 4)
    assert mlp.alpha == 0.01 and mlp.learning_rate_init == 0.02
    assert mlp.solver == "adam"  # rmsprop is not scikit-learn's: its default stands in
    assert mlp.n_iter_ == model.n_iter_ and len(mlp.loss_curve_) == model.n_iter_


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu"])
def test_skops_refuses_activations_scikit_learn_lacks_by_name(
    client: TestClient, store: Store, activation: str
) -> None:
    model_id = publish(store, train("binary", activation))
    answer = client.get(f"/v1/models/{model_id}/export", params={"format": "skops"})
    assert_problem(answer, 422, "query.format", repr(activation), "onnx")


def test_export_formats_and_ids_are_checked(
    client: TestClient, store: Store, redis_client: redis.Redis
) -> None:
    model_id = publish(store, train("binary"))
    blob = download(client, model_id, "safetensors", "application/octet-stream")
    assert load_model(blob).n_features_in_ == 3
    answer = client.get(f"/v1/models/{model_id}/export", params={"format": "pickle"})
    assert_problem(answer, 422, "format")
    someone_else = publish(Store(redis_client, store.tenant + "x"), train("binary"))
    for other in (someone_else, "mdl_nope", "../etc"):
        answer = client.get(f"/v1/models/{other}/export", params={"format": "onnx"})
        assert answer.status_code == 404, answer.text
