"""Idempotency-Key on dataset uploads: a retry returns the same dataset, another body is a 422."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.helpers import assert_problem

BODY = {"features": [[0, 1], [1, 0], [1, 1]], "targets": [0, 1, 1]}


def test_retry_with_the_same_key_returns_the_same_dataset(client: TestClient) -> None:
    first = client.post("/v1/datasets", json=BODY, headers={"Idempotency-Key": "up-1"})
    again = client.post("/v1/datasets", json=BODY, headers={"Idempotency-Key": "up-1"})
    assert first.status_code == 201
    assert again.status_code in {200, 201}
    assert again.json()["id"] == first.json()["id"]
    other = client.post(
        "/v1/datasets", json={**BODY, "targets": [1, 1, 0]}, headers={"Idempotency-Key": "up-1"}
    )
    assert_problem(other, 422, "Idempotency-Key")
    listed = client.get("/v1/datasets").json()["data"]
    assert [d["id"] for d in listed] == [first.json()["id"]]


def test_without_a_key_each_upload_is_new(client: TestClient) -> None:
    a = client.post("/v1/datasets", json=BODY).json()["id"]
    b = client.post("/v1/datasets", json=BODY).json()["id"]
    assert a != b
