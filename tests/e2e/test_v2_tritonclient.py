"""A real V2 client (Triton's tritonclient.http) against a real uvicorn: health, metadata and
inference, in both of its encodings, match /v1/models/{id}/predict."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest
import redis
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from mlpforge.redis_server import RedisServer
from store import Store
from tests.processes import start_api
from tests.trained_models import features, publish, train


@pytest.fixture
def server(api_server: str) -> Iterator[triton.InferenceServerClient]:
    client = triton.InferenceServerClient(url=api_server.removeprefix("http://"))
    yield client
    client.close()


@pytest.fixture
def alice_models(redis_client: redis.Redis) -> Store:
    return Store(redis_client, "alice")


def predict(api_server: str, key: str, model_id: str, X: np.ndarray) -> dict[str, object]:
    answer = httpx.post(
        f"{api_server}/v1/models/{model_id}/predict",
        json={"inputs": X.tolist()},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_tritonclient_reads_health_and_metadata(
    server: triton.InferenceServerClient, alice_models: Store, api_keys: dict[str, str]
) -> None:
    key = {"Authorization": f"Bearer {api_keys['alice']}"}
    assert server.is_server_live() and server.is_server_ready()
    model_id = publish(alice_models, train("multiclass"))
    assert server.is_model_ready(model_id, headers=key)
    metadata = server.get_model_metadata(model_id, headers=key)
    assert metadata["platform"] == "mlpforge"
    assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 3]}]
    assert [(o["name"], o["datatype"]) for o in metadata["outputs"]] == [
        ("label", "INT64"),
        ("probabilities", "FP32"),
    ]
    with pytest.raises(InferenceServerException, match="API key"):
        server.get_model_metadata(model_id)
    bob = {"X-API-Key": api_keys["bob"]}
    with pytest.raises(InferenceServerException, match="does not exist"):
        server.get_model_metadata(model_id, headers=bob)  # alice's model: a 404 for bob
    assert not server.is_model_ready(model_id, headers=bob)


@pytest.mark.parametrize("binary", [True, False])
def test_tritonclient_infers_what_predict_answers(
    server: triton.InferenceServerClient,
    alice_models: Store,
    api_keys: dict[str, str],
    api_server: str,
    binary: bool,
) -> None:
    key = api_keys["alice"]
    X = features(n=9, seed=5)
    for kind in ("binary", "multiclass", "two_targets"):
        model_id = publish(alice_models, train(kind, "gelu"))
        expected = predict(api_server, key, model_id, X)
        tensor = triton.InferInput("input", list(X.shape), "FP32")
        tensor.set_data_from_numpy(X, binary_data=binary)
        outputs = None if binary else [
            triton.InferRequestedOutput(name, binary_data=False)
            for name in (["label", "probabilities"] if kind != "two_targets" else ["predictions"])
        ]  # fmt: skip
        result = server.infer(
            model_id, [tensor], outputs=outputs, headers={"Authorization": f"Bearer {key}"}
        )
        if kind == "two_targets":
            np.testing.assert_allclose(
                result.as_numpy("predictions"), expected["predictions"], rtol=1e-12
            )
            continue
        labels = result.as_numpy("label")
        if kind == "binary":  # BYTES: bytes from the binary encoding, str from JSON
            decoded = [v.decode() if isinstance(v, bytes) else v for v in labels]
            assert decoded == expected["predictions"]
        else:
            assert labels.dtype == np.int64 and labels.tolist() == expected["predictions"]
        probabilities = result.as_numpy("probabilities")
        assert probabilities.dtype == np.float32
        np.testing.assert_allclose(probabilities, expected["probabilities"], rtol=1e-6)


def test_tritonclient_sees_errors_as_messages(
    server: triton.InferenceServerClient, alice_models: Store, api_keys: dict[str, str]
) -> None:
    key = {"Authorization": f"Bearer {api_keys['alice']}"}
    model_id = publish(alice_models, train("binary"))
    tensor = triton.InferInput("input", [2, 4], "FP32")
    tensor.set_data_from_numpy(np.zeros((2, 4), np.float32))
    with pytest.raises(InferenceServerException, match="expects 3 features") as raised:
        server.infer(model_id, [tensor], headers=key)
    assert raised.value.status() == "422"


def test_readiness_follows_redis(isolated_redis: RedisServer) -> None:
    proc, base = start_api(f"{isolated_redis.base_url}/0", name="v2-ready")
    client = triton.InferenceServerClient(url=base.removeprefix("http://"))
    try:
        assert client.is_server_live() and client.is_server_ready()
        isolated_redis.stop()
        assert client.is_server_live() and not client.is_server_ready()
        answer = httpx.get(f"{base}/v2/health/ready", timeout=10)
        assert answer.status_code == 503 and answer.json()["error"] == "Redis does not answer"
    finally:
        client.close()
        proc.stop()
