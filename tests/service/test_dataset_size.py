"""A dataset larger than one Redis value, with blobs in Redis: a clear 413, nothing stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import store.datasets
from tests.e2e.helpers import assert_problem


def test_a_dataset_over_one_redis_value_is_a_413_naming_the_blob_store(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis holds at most 512 MB in one value (and drops the connection beyond): with blobs in
    Redis, a larger array is refused up front with the setting that lifts the limit, and
    nothing is stored. (Lowered here so that a small dataset crosses it.)"""
    monkeypatch.setattr(store.datasets, "REDIS_MAX_VALUE_BYTES", 1000)
    body = {"features": [[float(i), 1.0, 2.0, 3.0] for i in range(100)], "targets": [0, 1] * 50}
    for _ in range(2):  # a retry with the same key gets the same answer
        answer = client.post("/v1/datasets", json=body, headers={"Idempotency-Key": "big-1"})
        assert_problem(answer, 413, "MLPFORGE_BLOB_URL", "one Redis value holds")
    assert client.get("/v1/datasets").json()["data"] == []
    small = {"features": [[0.0, 1.0], [1.0, 0.0]], "targets": [0, 1]}
    assert client.post("/v1/datasets", json=small).status_code == 201
