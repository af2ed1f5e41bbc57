"""Every class of bad input gets a clear 4xx problem+json, and nothing stored is harmed."""

from __future__ import annotations

import io

import numpy as np
import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from store.keys import TenantKeys
from tests.e2e.helpers import assert_problem

GOOD = {"features": [[0, 1], [1, 0], [1, 1], [0, 0]], "targets": ["a", "b", "a", "b"]}


def _dataset(client: TestClient, body: dict | None = None) -> dict:
    response = client.post("/v1/datasets", json=body or GOOD)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"features": [[0, 1], [1, 0, 2]], "targets": [1, 2]}, ["features", "1"]),
        ({"features": [[0, "x"], [1, 0]], "targets": [1, 2]}, ["features", "not a number"]),
        ({"features": [], "targets": []}, ["empty"]),
        ({"features": [[0, 1], [1, 0]], "targets": [1]}, ["targets"]),
        ({"features": [[0, 1]], "targets": [1], "colour": 3}, ["colour"]),
    ],
)
def test_bad_json_datasets(client: TestClient, body: dict, fragments: list[str]) -> None:
    assert_problem(client.post("/v1/datasets", json=body), 422, *fragments)


def test_nan_in_json_is_refused(client: TestClient) -> None:
    raw = b'{"features": [[0, NaN]], "targets": [1]}'
    response = client.post(
        "/v1/datasets", content=raw, headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)


def test_bad_csv_names_row_and_column(client: TestClient) -> None:
    csv = b"age,height,label\n1,2,a\n3,x,b\n"
    response = client.post("/v1/datasets", files={"file": ("d.csv", csv, "text/csv")})
    assert_problem(response, 422, "row 2", "height")
    response = client.post(
        "/v1/datasets", files={"file": ("d.csv", csv, "text/csv")}, params={"target": "nope"}
    )
    assert_problem(response, 422, "nope")


def test_csv_with_target_column_by_form_field(client: TestClient) -> None:
    csv = b"label,a,b\nx,1,2\ny,3,4\nx,5,6\n"
    response = client.post(
        "/v1/datasets", files={"file": ("d.csv", csv, "text/csv")}, data={"target": "label"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["feature_names"] == ["a", "b"] and body["classes"] == ["x", "y"]


def test_npz_upload_and_pickle_refused(client: TestClient) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.eye(4, dtype=np.float32), y=np.array([0, 1, 0, 1]))
    response = client.post("/v1/datasets", files={"file": ("d.npz", buffer.getvalue())})
    assert response.status_code == 201, response.text
    assert response.json()["n_features"] == 4
    evil = io.BytesIO()
    np.savez(evil, X=np.array([{"a": 1}], dtype=object), y=np.array([0]))
    assert_problem(client.post("/v1/datasets", files={"file": ("e.npz", evil.getvalue())}), 422)


def test_size_limits(client: TestClient) -> None:
    huge = b"x" * 2_100_000
    response = client.post(
        "/v1/datasets", content=huge, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "limit")
    too_many_cells = {"features": [[0.0] * 100] * 600, "targets": [0] * 600}  # 60,000 > 50,000
    assert client.post("/v1/datasets", json=too_many_cells).status_code == 413


def _stored_bytes(redis_client: redis.Redis, tenant: str, dataset_id: str) -> dict[str, int]:
    keys = TenantKeys(tenant)
    return {
        part: int(redis_client.strlen(key))
        for part, key in (
            ("record", keys.dataset(dataset_id)),
            ("X", keys.dataset_x(dataset_id)),
            ("y", keys.dataset_y(dataset_id)),
        )
    }


NPY_HEADER = 128  # what np.save writes before the data of a 1-D or 2-D array


def test_one_long_label_does_not_amplify_the_stored_dataset(
    client: TestClient, redis_client: redis.Redis, tenant: str
) -> None:
    """20,000 rows of short labels plus one at the 256-character limit: stored as strings
    that was 20 MB of y (every row as wide as the longest label) from a 0.2 MB body."""
    rows = 20_000
    labels = ["a", "b"] * (rows // 2 - 1) + ["a", "L" * 256]
    body = {"features": [[i % 5] for i in range(rows)], "targets": labels}
    response = client.post("/v1/datasets", json=body)
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["classes"] == ["L" * 256, "a", "b"]
    assert (record["target_kind"], record["n_distinct_targets"]) == ("categorical", 3)

    stored = _stored_bytes(redis_client, tenant, record["id"])
    assert stored["y"] <= rows * 1 + NPY_HEADER  # one byte a row: uint8 codes
    assert stored["X"] <= rows * 4 + NPY_HEADER
    class_table = len(orjson.dumps(record["classes"]))
    assert stored["record"] <= 2048 + class_table
    # The whole dataset: a small constant times its cells, plus its text.
    assert sum(stored.values()) <= 8 * rows + class_table + 4096


def test_a_label_over_the_limit_is_a_422_naming_row_and_limit(client: TestClient) -> None:
    body = {"features": [[0], [1], [2]], "targets": ["a", "b", "x" * 1000]}
    problem = assert_problem(client.post("/v1/datasets", json=body), 422, "target 2", "256")
    assert problem["errors"][0]["loc"] == ["body", "targets", 2]
    assert client.get("/v1/datasets").json()["data"] == []


def test_an_npz_with_wide_string_labels_is_refused_before_it_is_inflated(
    client: TestClient,
) -> None:
    """0.1 MB compressed, 80 MB once loaded: refused from y's header (and before, it was stored
    as those 80 MB)."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, X=np.zeros((20_000, 1), np.float32), y=np.full(20_000, "a", dtype="<U1000")
    )
    response = client.post("/v1/datasets", files={"file": ("wide.npz", buffer.getvalue())})
    problem = assert_problem(response, 413, "y holds strings 1,000 characters wide")
    assert problem["errors"][0]["loc"] == ["file", "y"]


def test_a_long_file_name_is_refused_as_the_datasets_name(client: TestClient) -> None:
    csv = b"a,label\n1,x\n2,y\n"
    name = "d" * 300 + ".csv"
    response = client.post("/v1/datasets", files={"file": (name, csv, "text/csv")})
    problem = assert_problem(response, 422, "used as the dataset's name", "at most 200")
    assert problem["errors"][0]["loc"] == ["body", "file", "filename"]


def test_an_unclosed_csv_quote_is_refused_naming_its_line(client: TestClient) -> None:
    csv = b'a,label\n1,x\n2,"y\n3,z\n4,w\n'  # was: 201, with 2 rows and one label "y\n3,z..."
    response = client.post("/v1/datasets", files={"file": ("q.csv", csv, "text/csv")})
    problem = assert_problem(response, 422, "line 3", "never closed")
    assert problem["errors"][0]["loc"] == ["file", "line 3"]


def test_a_target_beyond_float32_is_refused_at_upload(client: TestClient) -> None:
    body = {"features": [[0], [1], [2]], "targets": [0.5, 1e39, 2.5]}
    problem = assert_problem(client.post("/v1/datasets", json=body), 422, "target 1", "float32")
    assert problem["errors"][0]["loc"] == ["body", "targets", 1]


def test_unsupported_content_type(client: TestClient) -> None:
    assert_problem(
        client.post("/v1/datasets", content=b"a", headers={"content-type": "text/plain"}), 415
    )


@pytest.mark.parametrize(
    ("job", "status", "fragments"),
    [
        ({}, 422, ["dataset_id"]),
        ({"dataset_id": "ds_nope"}, 404, ["ds_nope"]),
        ({"params": {"colour": 1}}, 422, ["colour"]),
        ({"params": {"activation": "swish"}}, 422, ["activation"]),
        ({"params": {"hidden_layer_sizes": [0]}}, 422, ["hidden_layer_sizes"]),
        ({"params": {"batch_size": 0}}, 422, ["batch_size"]),
        ({"params": {"validation_fraction": 1.5}}, 422, ["validation_fraction"]),
        ({"params": {"hidden_layer_sizes": [100000, 100000]}}, 422, ["parameters"]),
        ({"params": {"max_iter": 10**9}}, 422, ["max_iter"]),
        ({"params": {"batch_size": 10**6}}, 422, ["batch_size", "MLPFORGE_MAX_BATCH_SIZE"]),
        ({"task": "regression"}, 422, ["regression"]),
        ({"max_runtime_secs": 10**9}, 422, ["max_runtime_secs"]),
        ({"device": "tpu"}, 422, ["device"]),
    ],
)
def test_bad_jobs(client: TestClient, job: dict, status: int, fragments: list[str]) -> None:
    dataset = _dataset(client)
    body = job if "dataset_id" in job or not job else {"dataset_id": dataset["id"], **job}
    assert_problem(client.post("/v1/jobs", json=body), status, *fragments)
    # Nothing was queued or stored for a refused job.
    assert client.get("/v1/jobs").json()["data"] == []


def test_unknown_ids_are_404_and_bad_methods_405(client: TestClient) -> None:
    for path in ("/v1/jobs/job_x", "/v1/datasets/ds_x", "/v1/models/mdl_x", "/v1/nothing"):
        assert_problem(client.get(path), 404)
    assert_problem(client.put("/v1/jobs"), 405)


def test_malformed_last_event_id(client: TestClient) -> None:
    dataset = _dataset(client)
    job = client.post("/v1/jobs", json={"dataset_id": dataset["id"]}).json()
    response = client.get(f"/v1/jobs/{job['id']}/events", headers={"Last-Event-ID": "x; drop"})
    assert_problem(response, 422, "Last-Event-ID")


def test_idempotency_key(client: TestClient) -> None:
    dataset = _dataset(client)
    body = {"dataset_id": dataset["id"], "params": {"max_iter": 1}}
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k1"})
    again = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 202 and again.json()["id"] == first.json()["id"]
    other = client.post(
        "/v1/jobs", json={**body, "params": {"max_iter": 2}}, headers={"Idempotency-Key": "k1"}
    )
    assert_problem(other, 422, "Idempotency-Key")
    assert len(client.get("/v1/jobs").json()["data"]) == 1
