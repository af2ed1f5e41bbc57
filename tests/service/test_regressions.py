"""Bugs found while fuzzing the API (tests/service/test_fuzz_openapi.py), pinned one by one."""

from __future__ import annotations

import time

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from engine import MLPParams
from mlpforge.settings import Settings
from store import JobRecord, Store
from tests.e2e.helpers import assert_problem
from worker.training import run_job

GOOD = {"features": [[0, 1], [1, 0], [1, 1], [0, 0]], "targets": ["a", "b", "a", "b"]}


def _finished_job(store: Store, settings: Settings, *, categorical: bool = True) -> JobRecord:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    y: np.ndarray = np.where(X[:, 0] > 0, "yes", "no") if categorical else X.sum(axis=1)
    dataset = store.datasets.create(
        X=X,
        y=y,
        name=None,
        feature_names=["a", "b", "c"],
        target_name=None,
        target_kind="categorical" if categorical else "continuous",
        classes=["no", "yes"] if categorical else None,
    )
    task = "classification" if categorical else "regression"
    params = MLPParams(hidden_layer_sizes=(4,), max_iter=3, random_state=0)  # type: ignore[arg-type]
    job = store.jobs.new_record(
        dataset_id=dataset.id,
        task=task,
        params=params.resolve(task, 30).to_dict(),  # type: ignore[arg-type]
        max_runtime_secs=60,
    )
    store.jobs.create(job)
    run_job(store.tenant, job.id, settings)
    done = store.jobs.get(job.id)
    assert done is not None and done.status == "succeeded", done
    return done


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def test_an_idempotency_key_is_free_again_once_its_dataset_is_deleted(client: TestClient) -> None:
    headers = {"Idempotency-Key": "k-deleted"}
    first = client.post("/v1/datasets", json=GOOD, headers=headers)
    assert first.status_code == 201, first.text
    assert client.delete(f"/v1/datasets/{first.json()['id']}").status_code == 204
    # It used to answer 201 with a new dataset that it had just discarded again.
    again = client.post("/v1/datasets", json=GOOD, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["location"] == f"/v1/datasets/{again.json()['id']}"
    assert client.get(again.headers["location"]).status_code == 200
    replay = client.post("/v1/datasets", json=GOOD, headers=headers)
    assert replay.status_code == 200 and replay.json()["id"] == again.json()["id"]
    assert replay.headers["location"] == again.headers["location"]


@pytest.mark.parametrize("resume", ["final", "beyond"])
def test_an_event_stream_resumed_past_its_end_closes(
    client: TestClient, store: Store, settings: Settings, resume: str
) -> None:
    """An EventSource reconnects after every close, with the last id it saw; it used to hang."""
    job = _finished_job(store, settings)
    last = f"{job.epoch}-1" if resume == "final" else "999999-0"
    started = time.monotonic()
    for request in ({"headers": {"Last-Event-ID": last}}, {"params": {"after": last}}):
        response = client.get(f"/v1/jobs/{job.id}/events", **request)  # type: ignore[arg-type]
        assert response.status_code == 200
        events = [block for block in response.text.split("\n\n") if "event:" in block]
        assert len(events) == 1 and "event: status" in events[0], response.text
        assert '"status":"succeeded"' in events[0]
    assert time.monotonic() - started < 5


def test_an_event_stream_of_a_finished_job_ends_with_its_status(
    client: TestClient, store: Store, settings: Settings
) -> None:
    job = _finished_job(store, settings)
    response = client.get(f"/v1/jobs/{job.id}/events")
    ids = [line[4:] for line in response.text.splitlines() if line.startswith("id: ")]
    assert ids == ["1-0", "2-0", "3-0", "3-1"], response.text
    resumed = client.get(f"/v1/jobs/{job.id}/events", headers={"Last-Event-ID": "2-0"})
    assert [line[4:] for line in resumed.text.splitlines() if line.startswith("id: ")] == [
        "3-0",
        "3-1",
    ]


def test_a_body_that_is_not_utf8_is_a_clear_400(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs", content=b'{"dataset_id": "\xff"}', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "UTF-8")


@pytest.mark.parametrize("categorical", [True, False], ids=["classifier", "regressor"])
def test_predict_refuses_inputs_that_overflow_the_network(
    client: TestClient, store: Store, settings: Settings, categorical: bool
) -> None:
    job = _finished_job(store, settings, categorical=categorical)
    response = client.post(
        f"/v1/models/{job.model_id}/predict", json={"inputs": [[3e38, 3e38, 3e38]]}
    )
    if response.status_code == 200:
        body = response.json()
        values = body.get("probabilities") or [body["predictions"]]
        assert all(v is not None for row in values for v in row), body
    else:
        assert_problem(response, 422, "inputs")


@pytest.mark.parametrize("path", ["/v1/datasets", "/v1/jobs", "/v1/models"])
def test_a_repeated_query_parameter_is_refused(client: TestClient, path: str) -> None:
    """FastAPI silently used the last of ``?cursor=a&cursor=b``."""
    assert_problem(client.get(f"{path}?limit=5&limit=6"), 422, "limit", "more than once")
    anonymous = client.get(f"{path}?limit=5&limit=6", headers={"Authorization": ""})
    assert_problem(anonymous, 401)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"random_state": False}, "random_state"),
        ({"max_iter": True}, "max_iter"),
        ({"alpha": True}, "alpha"),
        ({"hidden_layer_sizes": [True]}, "hidden_layer_sizes"),
        ({"batch_size": True}, "batch_size"),
        ({"shuffle": 1}, "shuffle"),
        ({"max_iter": 2.0}, "max_iter"),
    ],
)
def test_job_params_are_not_coerced(client: TestClient, params: dict, field: str) -> None:
    """Pydantic's lax mode used to turn `false` into 0 and `true` into 1 before the engine's
    own checks (which refuse them, as scikit-learn does) could see them."""
    dataset = client.post("/v1/datasets", json=GOOD).json()
    response = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "params": params})
    assert_problem(response, 422, field)


def test_max_runtime_secs_is_not_coerced(client: TestClient) -> None:
    dataset = client.post("/v1/datasets", json=GOOD).json()
    response = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "max_runtime_secs": True})
    assert_problem(response, 422, "max_runtime_secs")
