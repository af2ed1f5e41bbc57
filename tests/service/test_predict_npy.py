"""Predictions as binary arrays: `application/x-npy` in, `application/x-npy` (or JSON) out."""

from __future__ import annotations

import io

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from service.app import create_app
from store import Store
from tests.e2e.helpers import assert_problem
from tests.service.test_regressions import _finished_job

NPY = "application/x-npy"


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _load(body: bytes) -> np.ndarray:
    return np.load(io.BytesIO(body), allow_pickle=False)


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


@pytest.fixture
def classifier(store: Store, settings: Settings) -> str:
    model_id = _finished_job(store, settings).model_id
    assert model_id is not None
    return model_id


@pytest.fixture
def regressor(store: Store, settings: Settings) -> str:
    model_id = _finished_job(store, settings, categorical=False).model_id
    assert model_id is not None
    return model_id


ROWS = np.array([[1.0, 0.0, 0.0], [-1.0, 0.5, 2.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8])
def test_npy_in_and_out_match_json(client: TestClient, classifier: str, dtype: type) -> None:
    path = f"/v1/models/{classifier}/predict"
    rows = ROWS.astype(dtype)
    expected = client.post(path, json={"inputs": rows.tolist()}).json()
    headers = {"Content-Type": NPY, "Accept": NPY}
    labels = client.post(path, content=_npy(rows), headers=headers)
    assert labels.status_code == 200, labels.text
    assert labels.headers["content-type"] == NPY
    assert _load(labels.content).tolist() == expected["predictions"]
    probabilities = client.post(f"{path}?output=probabilities", content=_npy(rows), headers=headers)
    loaded = _load(probabilities.content)
    assert loaded.dtype == np.float32 and loaded.shape == (3, 2)
    np.testing.assert_allclose(loaded, expected["probabilities"], rtol=1e-6, atol=1e-7)
    # npy in, JSON out (no Accept): the same JSON answer.
    as_json = client.post(path, content=_npy(rows), headers={"Content-Type": NPY})
    assert as_json.json()["predictions"] == expected["predictions"]


def test_json_in_npy_out_for_a_regressor(client: TestClient, regressor: str) -> None:
    path = f"/v1/models/{regressor}/predict"
    expected = client.post(path, json={"inputs": ROWS.tolist()}).json()["predictions"]
    answer = client.post(path, json={"inputs": ROWS.tolist()}, headers={"Accept": NPY})
    np.testing.assert_allclose(_load(answer.content), expected)
    refused = client.post(
        f"{path}?output=probabilities", json={"inputs": ROWS.tolist()}, headers={"Accept": NPY}
    )
    assert_problem(refused, 422, "classifiers only")


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"not an array", 422, "np.save"),
        (_npy(np.zeros(3)), 422, "2-D"),
        (_npy(np.zeros((2, 4))), 422, "expects 3 features"),
        (_npy(np.zeros((0, 3))), 422, "no rows"),
        (_npy(np.array([["a", "b", "c"]])), 422, "dtype"),
        (_npy(np.array([[1.0, np.nan, 0.0]])), 422, "finite"),
        (_npy(np.array([[1e300, 0.0, 0.0]])), 422, "finite"),
        (_npy(np.zeros((2, 3)))[:-8], 422, "bytes of data"),
        (_npy(np.zeros((51, 3))), 413, "MLPFORGE_MAX_PREDICT_ROWS"),
    ],
)
def test_bad_arrays_are_refused(
    tenant: str, settings: Settings, classifier: str, body: bytes, status: int, fragment: str
) -> None:
    limited = settings.model_copy(update={"max_predict_rows": 50})
    with TestClient(create_app(limited), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        answer = client.post(
            f"/v1/models/{classifier}/predict", content=body, headers={"Content-Type": NPY}
        )
    assert_problem(answer, status, fragment)


def test_a_pickled_object_array_is_never_loaded(client: TestClient, classifier: str) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([[object(), 1, 2]], dtype=object), allow_pickle=True)
    answer = client.post(
        f"/v1/models/{classifier}/predict",
        content=buffer.getvalue(),
        headers={"Content-Type": NPY},
    )
    assert_problem(answer, 422, "dtype")


def test_an_unknown_output_is_refused(client: TestClient, classifier: str) -> None:
    answer = client.post(
        f"/v1/models/{classifier}/predict?output=logits", json={"inputs": ROWS.tolist()}
    )
    assert_problem(answer, 422, "output")
