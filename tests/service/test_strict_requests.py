"""Strict input everywhere: ids by their shape, predictions as strict as uploads, bodies sized
and encoded as each route expects, jobs refused when they cannot or should not run, and the
headers every /v1 answer carries."""

from __future__ import annotations

import gzip
from typing import Any

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from service.app import create_app
from store import Store
from tests.e2e.helpers import assert_problem
from tests.service.test_regressions import _finished_job


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _dataset(client: TestClient, rows: int = 40, classes: int = 2) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    answer = client.post(
        "/v1/datasets",
        json={
            "features": rng.normal(size=(rows, 3)).round(3).tolist(),
            "targets": [f"c{i % classes}" for i in range(rows)],
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


# ---- ids -----------------------------------------------------------------------------------


def test_ids_that_name_other_keys_are_404_not_500(
    client: TestClient, store: Store, settings: Settings
) -> None:
    job = _finished_job(store, settings)
    assert job.model_id is not None
    dataset_id, job_id, model_id = job.dataset_id, job.id, job.model_id
    # Each suffix names a real key of the same tenant (the arrays, the history, the blob).
    for method, path in (
        ("GET", f"/v1/datasets/{dataset_id}:X"),
        ("GET", f"/v1/datasets/{dataset_id}:y"),
        ("DELETE", f"/v1/datasets/{dataset_id}:X"),
        ("GET", f"/v1/jobs/{job_id}:history"),
        ("GET", f"/v1/jobs/{job_id}:events/metrics"),
        ("POST", f"/v1/jobs/{job_id}:checkpoint/cancel"),
        ("GET", f"/v1/models/{model_id}:blob"),
        ("GET", f"/v1/models/{model_id}:blob/export"),
        ("DELETE", f"/v1/models/{model_id}:blob"),
    ):
        assert_problem(client.request(method, path), 404, "does not exist")
    predict = client.post(f"/v1/models/{model_id}:blob/predict", json={"inputs": [[0, 0, 0]]})
    assert_problem(predict, 404)
    # Nothing was deleted on the way.
    assert client.get(f"/v1/datasets/{dataset_id}").status_code == 200
    assert client.get(f"/v1/models/{model_id}").status_code == 200


def test_a_long_malformed_id_is_truncated_in_the_answer(client: TestClient) -> None:
    answer = client.get("/v1/jobs/job_" + "a" * 500)
    body = assert_problem(answer, 404)
    assert len(body["detail"]) < 80 and "…" in body["detail"]


# ---- predict -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "fragments"),
    [
        ([["2", 6, 1]], ["inputs.0.0", "not a number: '2'"]),
        ([[True, 6, 1]], ["inputs.0.0", "not a number: True"]),
        ([[1, 2, 3], [0, False, 1]], ["inputs.1.1", "not a number: False"]),
        ([[1, 2, 3], [0, 1, None]], ["inputs.1.2"]),
    ],
)
def test_predict_does_not_coerce(
    client: TestClient, store: Store, settings: Settings, inputs: list[Any], fragments: list[str]
) -> None:
    model_id = _finished_job(store, settings).model_id
    answer = client.post(f"/v1/models/{model_id}/predict", json={"inputs": inputs})
    assert_problem(answer, 422, *fragments)


def test_inputs_and_instances_together_are_refused(
    client: TestClient, store: Store, settings: Settings
) -> None:
    model_id = _finished_job(store, settings).model_id
    body = {"inputs": [[0, 0, 0]], "instances": [[0, 0, 0]]}
    assert_problem(client.post(f"/v1/models/{model_id}/predict", json=body), 422, "not both")


def test_predict_refuses_more_rows_than_the_limit_before_parsing(
    tenant: str, store: Store, settings: Settings
) -> None:
    model_id = _finished_job(store, settings).model_id
    limited = settings.model_copy(update={"max_predict_rows": 50})
    with TestClient(create_app(limited), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        path = f"/v1/models/{model_id}/predict"
        assert client.post(path, json={"inputs": [[0, 0, 0]] * 50}).status_code == 200
        for rows in (51, 20_000):
            answer = client.post(path, json={"inputs": [[0, 0, 0]] * rows})
            assert_problem(answer, 413, f"{rows:,} rows", "50", "MLPFORGE_MAX_PREDICT_ROWS")


# ---- jobs that should not run ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "fragments"),
    [
        ({"hidden_layer_sizes": [1] * 10_000}, ["10,000 hidden layers", "MLPFORGE_MAX_LAYERS"]),
        ({"hidden_layer_sizes": [1] * 101}, ["101 hidden layers", "at most 100"]),
    ],
)
def test_absurd_architectures_are_refused(
    client: TestClient, params: dict[str, Any], fragments: list[str]
) -> None:
    dataset = _dataset(client)
    answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "params": params})
    body = assert_problem(answer, 422, *fragments)
    assert body["errors"][0]["loc"] == ["body", "params", "hidden_layer_sizes"]
    assert client.get("/v1/jobs").json()["data"] == []


def test_a_100000_layer_request_is_refused_by_its_size(client: TestClient) -> None:
    dataset = _dataset(client)
    params = {"hidden_layer_sizes": [1] * 100_000}
    answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "params": params})
    assert_problem(answer, 413, "MLPFORGE_MAX_REQUEST_BYTES")


def test_the_work_of_one_epoch_is_bounded(tenant: str, settings: Settings) -> None:
    tight = settings.model_copy(update={"max_epoch_work": 1e7})
    with TestClient(create_app(tight), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        dataset = _dataset(client, rows=400)
        small = {"hidden_layer_sizes": [4]}
        assert (
            client.post("/v1/jobs", json={"dataset_id": dataset["id"], "params": small}).status_code
            == 202
        )
        big = {"hidden_layer_sizes": [512, 512]}
        answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "params": big})
        assert_problem(answer, 422, "multiply-adds", "MLPFORGE_MAX_EPOCH_WORK")


@pytest.mark.parametrize(
    ("rows", "classes", "params", "loc", "fragments"),
    [
        (3, 3, {"early_stopping": True}, "validation_fraction", ["holds out 1", "at least 2"]),
        (
            10,
            None,
            {"early_stopping": True, "validation_fraction": 0.95},
            "validation_fraction",
            ["leaves none for training"],
        ),
        (
            5,
            2,
            {"early_stopping": True, "validation_fraction": 0.7},
            "validation_fraction",
            ["each of the 2 classes"],
        ),
    ],
)
def test_jobs_that_cannot_succeed_are_refused_at_submission(
    client: TestClient,
    rows: int,
    classes: int | None,
    params: dict[str, Any],
    loc: str,
    fragments: list[str],
) -> None:
    targets: list[Any] = (
        [f"c{i % classes}" for i in range(rows)]
        if classes
        else [float(i) * 1.5 for i in range(rows)]
    )
    features = [[float(i), 1.0] for i in range(rows)]
    dataset = client.post("/v1/datasets", json={"features": features, "targets": targets}).json()
    task = "classification" if classes else "regression"
    answer = client.post(
        "/v1/jobs", json={"dataset_id": dataset["id"], "task": task, "params": params}
    )
    body = assert_problem(answer, 422, *fragments)
    assert body["errors"][0]["loc"][-1] == loc


def test_engine_param_errors_name_their_field(client: TestClient) -> None:
    dataset = _dataset(client)
    answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "params": {"alpha": -1}})
    body = assert_problem(answer, 422, "alpha")
    assert body["errors"][0]["loc"] == ["body", "params", "alpha"]
    assert not body["errors"][0]["msg"].startswith("Value error")


# ---- bodies --------------------------------------------------------------------------------


def test_a_job_request_has_a_small_body_limit(client: TestClient) -> None:
    body = b'{"dataset_id": "' + b"x" * 100_000 + b'"}'
    answer = client.post("/v1/jobs", content=body, headers={"Content-Type": "application/json"})
    assert_problem(answer, 413, "MLPFORGE_MAX_REQUEST_BYTES")


def test_malformed_json_without_a_key_is_401(client: TestClient) -> None:
    del client.headers["Authorization"]
    answer = client.post(
        "/v1/jobs", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(answer, 401)


def test_compressed_and_utf16_bodies_are_415(client: TestClient) -> None:
    job = b'{"dataset_id": "ds_00000000000000aaaaaaaaaa"}'
    for content, headers in (
        (gzip.compress(job), {"Content-Encoding": "gzip"}),
        (job.decode().encode("utf-16"), {}),  # with a byte-order mark
        (job.decode().encode("utf-16-le"), {}),  # without one
        (job, {"Content-Type": "application/json; charset=utf-16"}),
    ):
        answer = client.post(
            "/v1/jobs", content=content, headers={"Content-Type": "application/json", **headers}
        )
        assert_problem(answer, 415)
    utf16_dataset = '{"features": [[1], [2]], "targets": [1, 2]}'.encode("utf-16")
    answer = client.post(
        "/v1/datasets", content=utf16_dataset, headers={"Content-Type": "application/json"}
    )
    assert_problem(answer, 415, "UTF-8")


# ---- answers -------------------------------------------------------------------------------


def test_v1_answers_are_not_sniffed_or_cached(client: TestClient) -> None:
    for answer in (
        client.get("/v1/jobs"),
        client.get("/v1/jobs/job_x"),
        client.get("/v1/jobs", headers={"Authorization": "Bearer wrong"}),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
    assert client.get("/healthz").headers["x-content-type-options"] == "nosniff"


def test_a_trailing_slash_is_not_redirected(client: TestClient) -> None:
    for path in ("/v1/jobs/", "/v1/datasets/"):
        answer = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert_problem(answer, 404)
        assert "location" not in answer.headers


def test_every_v1_route_checks_the_key_before_the_body(client: TestClient) -> None:
    """Each documented /v1 operation, sent a body that cannot be parsed and no key: 401."""
    del client.headers["Authorization"]
    fake = {
        "dataset_id": "ds_" + "0" * 24,
        "job_id": "job_" + "0" * 24,
        "model_id": "mdl_" + "0" * 24,
        "search_id": "srch_" + "0" * 24,
    }
    operations = [
        (method, path.format(**fake))
        for path, item in client.get("/openapi.json").json()["paths"].items()
        if path.startswith("/v1")
        for method in item
    ]
    assert len(operations) >= 12
    for method, path in operations:
        answer = client.request(
            method, path, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert_problem(answer, 401)


def test_classifying_a_continuous_target_is_bounded_by_the_class_limit(
    tenant: str, settings: Settings
) -> None:
    few = settings.model_copy(update={"max_classes": 10})
    with TestClient(create_app(few), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        rows = [[float(i)] for i in range(50)]
        dataset = client.post(
            "/v1/datasets", json={"features": rows, "targets": [i * 0.5 for i in range(50)]}
        ).json()
        answer = client.post(
            "/v1/jobs", json={"dataset_id": dataset["id"], "task": "classification"}
        )
        assert_problem(answer, 422, "50 distinct target values", "MLPFORGE_MAX_CLASSES")
