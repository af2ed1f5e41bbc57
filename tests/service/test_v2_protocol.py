"""The Open Inference Protocol (V2) in-process: metadata, both tensor encodings, and errors
that both V2 clients ({"error": ...}) and problem+json clients can read."""

from __future__ import annotations

import struct
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from service.app import create_app
from store import Store
from tests.trained_models import features, publish, train

HEADER_LENGTH = "Inference-Header-Content-Length"


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def tensor(X: np.ndarray, **extra: Any) -> dict[str, Any]:
    shape = list(X.shape)
    return {"name": "input", "shape": shape, "datatype": "FP32", "data": X.tolist(), **extra}


def infer(client: TestClient, model_id: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/v2/models/{model_id}/infer", json=body)


def assert_v2_error(answer: httpx.Response, status: int, *fragments: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status and body["error"] == body["detail"], body
    for fragment in fragments:
        assert fragment in body["error"], f"{fragment!r} not in {body['error']!r}"


def test_health_needs_no_key(client: TestClient) -> None:
    bare = {"Authorization": ""}
    assert client.get("/v2/health/live", headers=bare).json() == {"live": True}
    assert client.get("/v2/health/ready", headers=bare).json() == {"ready": True}
    server = client.get("/v2", headers=bare).json()
    assert server["name"] == "mlpforge" and "binary_tensor_data" in server["extensions"]


def test_metadata_names_the_onnx_exports_tensors(client: TestClient, store: Store) -> None:
    expected = {
        "binary": [
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]},
        ],
        "multiclass": [
            {"name": "label", "datatype": "INT64", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 4]},
        ],
        "regression": [{"name": "predictions", "datatype": "FP64", "shape": [-1]}],
        "two_targets": [{"name": "predictions", "datatype": "FP64", "shape": [-1, 2]}],
    }
    for kind, outputs in expected.items():
        model_id = publish(store, train(kind))
        metadata = client.get(f"/v2/models/{model_id}").json()
        assert metadata == {
            "name": model_id,
            "versions": ["1"],
            "platform": "mlpforge",
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 3]}],
            "outputs": outputs,
        }
        assert client.get(f"/v2/models/{model_id}/ready").json() == {
            "name": model_id,
            "ready": True,
        }


def test_infer_answers_what_predict_answers(client: TestClient, store: Store) -> None:
    X = features(n=7, seed=3)
    for kind in ("binary", "multiclass", "regression", "two_targets"):
        model_id = publish(store, train(kind))
        expected = client.post(f"/v1/models/{model_id}/predict", json={"inputs": X.tolist()})
        flat = tensor(X, data=X.ravel().tolist())
        for body in ({"inputs": [tensor(X)]}, {"id": "r1", "inputs": [flat]}):
            answer = infer(client, model_id, body)
            assert answer.status_code == 200, answer.text
            result = answer.json()
            assert result["model_name"] == model_id
            assert result.get("id") == body.get("id")
            outputs = {o["name"]: o for o in result["outputs"]}
            if kind in ("binary", "multiclass"):
                assert outputs["label"]["shape"] == [7]
                assert outputs["label"]["data"] == expected.json()["predictions"]
                probabilities = np.reshape(outputs["probabilities"]["data"], (7, -1))
                np.testing.assert_allclose(
                    probabilities, expected.json()["probabilities"], rtol=1e-6
                )
            else:
                got = np.reshape(outputs["predictions"]["data"], outputs["predictions"]["shape"])
                np.testing.assert_allclose(got, expected.json()["predictions"], rtol=1e-12)


def binary_request(X: np.ndarray, **parameters: Any) -> tuple[bytes, dict[str, str]]:
    raw = X.astype("<f4").tobytes()
    header = {
        "inputs": [
            {"name": "input", "shape": list(X.shape), "datatype": "FP32",
             "parameters": {"binary_data_size": len(raw)}}
        ],
        **parameters,
    }  # fmt: skip
    json_part = orjson.dumps(header)
    return json_part + raw, {HEADER_LENGTH: str(len(json_part))}


def test_the_binary_tensor_extension_both_ways(client: TestClient, store: Store) -> None:
    X = features(n=5, seed=4)
    model_id = publish(store, train("binary"))
    expected = client.post(f"/v1/models/{model_id}/predict", json={"inputs": X.tolist()}).json()
    body, headers = binary_request(X, parameters={"binary_data_output": True})
    answer = client.post(f"/v2/models/{model_id}/infer", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    size = int(answer.headers[HEADER_LENGTH])
    header, rest = orjson.loads(answer.content[:size]), answer.content[size:]
    label, probabilities = header["outputs"]
    label_bytes = label["parameters"]["binary_data_size"]
    labels, offset = [], 0
    while offset < label_bytes:  # BYTES: each element a 4-byte little-endian length, then it
        (length,) = struct.unpack_from("<I", rest, offset)
        labels.append(rest[offset + 4 : offset + 4 + length].decode())
        offset += 4 + length
    assert labels == expected["predictions"]
    p = np.frombuffer(rest[label_bytes:], dtype="<f4").reshape(5, 2)
    assert probabilities["parameters"]["binary_data_size"] == p.nbytes
    np.testing.assert_allclose(p, expected["probabilities"], rtol=1e-6)
    # one output, asked for in JSON, the input still binary
    body, headers = binary_request(X, outputs=[{"name": "label"}])
    answer = client.post(f"/v2/models/{model_id}/infer", content=body, headers=headers)
    assert [o["name"] for o in answer.json()["outputs"]] == ["label"]
    assert answer.json()["outputs"][0]["data"] == expected["predictions"]


@pytest.mark.parametrize(
    ("change", "status", "fragments"),
    [
        ({"datatype": "FP64"}, 422, ["inputs.0.datatype", "FP32"]),
        ({"name": "x"}, 422, ["one input named 'input'"]),
        ({"shape": [2, 4]}, 422, ["expects 3 features"]),
        ({"shape": [3]}, 422, ["[rows, 3]"]),
        ({"data": [[1, 2, 3], [1, 2]]}, 422, ["2 lists of 3 numbers"]),
        ({"data": [[1, 2, 3], 5]}, 422, ["2 lists of 3 numbers"]),
        ({"data": [[1, 2, 3], "abc"]}, 422, ["2 lists of 3 numbers"]),
        ({"data": [[[1], [2], [3]], [1, 2, 3]]}, 422, ["data.0.0", "not a number"]),
        ({"data": {"a": 1}}, 422, ["non-empty list"]),
        ({"data": [1, 2, 3, 4, 5]}, 422, ["needs 6 values, got 5"]),
        ({"data": [[1, 2, 3], [1, "2", 3]]}, 422, ["data.1.1", "not a number"]),
        ({"data": [[1, 2, 3], [1, True, 3]]}, 422, ["data.1.1", "not a number"]),
        ({"data": [[1, 2, 3], [1, 1e39, 3]]}, 422, ["data.1.1", "not a finite float32"]),
        ({"data": None}, 422, ["data", "missing"]),
        ({"shape": [200_001, 3]}, 413, ["200,001 rows", "MLPFORGE_MAX_PREDICT_ROWS"]),
        ({"parameters": {"binary_data_size": 24}}, 422, ["not both"]),
    ],
)
def test_bad_tensors_are_4xx_naming_the_problem(
    client: TestClient, store: Store, change: dict[str, Any], status: int, fragments: list[str]
) -> None:
    model_id = publish(store, train("binary"))
    body = {"inputs": [{**tensor(np.zeros((2, 3), np.float32)), **change}]}
    assert_v2_error(infer(client, model_id, body), status, *fragments)


def test_bad_requests_are_4xx_naming_the_problem(client: TestClient, store: Store) -> None:
    model_id = publish(store, train("binary"))
    good = tensor(np.zeros((2, 3), np.float32))
    cases: list[tuple[Any, list[str]]] = [
        ({"inputs": [good], "outputs": [{"name": "nope"}]}, ["outputs.0.name", "label"]),
        ({"inputs": [good], "parameters": {"binary_data_output": "yes"}}, ["true or false"]),
        ({"inputs": []}, ["inputs"]),
        ({"inputs": [good], "extra": 1}, ["extra"]),
        ([1, 2], ["body"]),
    ]
    for body, fragments in cases:
        assert_v2_error(infer(client, model_id, body), 422, *fragments)
    broken = client.post(f"/v2/models/{model_id}/infer", content=b"{", headers={})
    assert_v2_error(broken, 422, "invalid JSON")
    body, headers = binary_request(np.zeros((2, 3), np.float32))
    for length in ("-1", "x", str(len(body) + 1)):
        answer = client.post(
            f"/v2/models/{model_id}/infer", content=body, headers={HEADER_LENGTH: length}
        )
        assert_v2_error(answer, 422, HEADER_LENGTH)
    short = client.post(f"/v2/models/{model_id}/infer", content=body[:-4], headers=headers)
    assert_v2_error(short, 422, "bytes follow the JSON header")


def test_keys_tenants_and_ids(client: TestClient, store: Store, redis_client: redis.Redis) -> None:
    model_id = publish(store, train("binary"))
    body = {"inputs": [tensor(np.zeros((1, 3), np.float32))]}
    for path in (f"/v2/models/{model_id}", f"/v2/models/{model_id}/ready"):
        assert_v2_error(client.get(path, headers={"Authorization": ""}), 401)
    assert_v2_error(
        client.post(f"/v2/models/{model_id}/infer", json=body, headers={"Authorization": ""}), 401
    )
    assert (
        client.get(
            f"/v2/models/{model_id}",
            headers={"Authorization": "", "X-API-Key": f"key-{store.tenant}"},
        ).status_code
        == 200
    )
    theirs = publish(Store(redis_client, store.tenant + "x"), train("binary"))
    for other in (theirs, "mdl_0000", "x" * 300):
        assert_v2_error(client.get(f"/v2/models/{other}"), 404, "does not exist")
        assert_v2_error(client.get(f"/v2/models/{other}/ready"), 404)
        assert_v2_error(infer(client, other, body), 404)


def test_infer_takes_the_data_body_limit(service_redis_url: str, tenant: str, store: Store) -> None:
    """/v2 infer is a data route: a body over MLPFORGE_MAX_REQUEST_BYTES is fine, one over
    MLPFORGE_MAX_BODY_BYTES is a 413 a V2 client can read."""
    settings = Settings(
        redis_url=service_redis_url, api_keys=f"{tenant}:key-{tenant}",
        max_request_bytes=1000, max_body_bytes=200_000,
    )  # fmt: skip
    model_id = publish(store, train("regression"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        X = features(n=300, seed=1)
        assert infer(client, model_id, {"inputs": [tensor(X)]}).status_code == 200
        X = features(n=6000, seed=1)
        assert_v2_error(infer(client, model_id, {"inputs": [tensor(X)]}), 413, "MAX_BODY_BYTES")
