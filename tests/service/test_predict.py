"""POST /v1/models/{id}/predict: answers, row checks, and models deleted through another process."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from engine import MLPParams
from mlpforge.settings import Settings
from service.app import create_app
from service.errors import ApiError
from service.prediction import parse_rows
from service.routers.models import RECHECK_SECS
from store import Store
from tests.e2e.helpers import assert_problem
from worker.training import run_job


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


@pytest.fixture
def model_id(store: Store, settings: Settings) -> str:
    """A model trained in-process (no worker) on three features with labels "no"/"yes"."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "yes", "no")
    dataset = store.datasets.create(
        X=X,
        y=y,
        name=None,
        feature_names=["a", "b", "c"],
        target_name=None,
        target_kind="categorical",
        classes=["no", "yes"],
    )
    params = MLPParams(hidden_layer_sizes=(4,), max_iter=3, random_state=0)  # type: ignore[arg-type]
    job = store.jobs.new_record(
        dataset_id=dataset.id,
        task="classification",
        params=params.resolve("classification", 40).to_dict(),
        max_runtime_secs=60,
    )
    store.jobs.create(job)
    run_job(store.tenant, job.id, settings)
    done = store.jobs.get(job.id)
    assert done is not None and done.model_id is not None, done
    return done.model_id


def test_predict_answers_with_labels_and_probabilities(client: TestClient, model_id: str) -> None:
    rows = [[1.0, 0.0, 0.0], [-1.0, 0.5, 2], [0, 0, 0]]
    answer = client.post(f"/v1/models/{model_id}/predict", json={"inputs": rows})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["classes"] == ["no", "yes"]
    assert len(body["predictions"]) == 3 and set(body["predictions"]) <= {"no", "yes"}
    assert all(abs(sum(p) - 1) < 1e-5 for p in body["probabilities"])
    same = client.post(f"/v1/models/{model_id}/predict", json={"instances": rows})
    assert same.json() == body


def test_float32_json_numbers_on_request(client: TestClient, model_id: str) -> None:
    """?dtype=float32: the same answer with probabilities spelt as float32 numbers (shorter);
    anything but float32/float64 is a 422 naming the query parameter."""
    rows = {"inputs": [[1.0, 0.0, 0.0], [-1.0, 0.5, 2], [0.3, -2, 1]]}
    path = f"/v1/models/{model_id}/predict"
    wide = client.post(path, json=rows)
    short = client.post(path, params={"dtype": "float32"}, json=rows)
    assert short.status_code == 200, short.text
    assert len(short.content) < len(wide.content)
    wide_body, short_body = wide.json(), short.json()
    assert short_body["predictions"] == wide_body["predictions"]
    assert short_body["classes"] == wide_body["classes"]
    expected = np.asarray(wide_body["probabilities"], dtype=np.float32)
    assert np.array_equal(np.asarray(short_body["probabilities"], dtype=np.float32), expected)
    # Each number is float32's shortest spelling: read as float32, written back the same.
    for number in np.asarray(short_body["probabilities"]).ravel():
        assert float(str(np.float32(number))) == number
    assert client.post(path, params={"dtype": "float64"}, json=rows).json() == wide_body
    assert_problem(client.post(path, params={"dtype": "half"}, json=rows), 422, "query.dtype")


@pytest.mark.parametrize(
    ("inputs", "fragments"),
    [
        ([[1, 2, 3], [1, 2]], ["inputs.1", "row 1 has 2 values", "expects 3 features"]),
        ([[1, 2]] * 5, ["inputs.0", "row 0 has 2 values"]),
        ([[1, 2, 3], [1, 2, 3, 4]], ["row 1 has 4 values"]),
        ([[1, 2, 3], "abc"], ["inputs.1", "each row must be a list"]),
        ([1, 2, 3], ["inputs.0", "each row must be a list"]),
        ([[1, 2, 3], [1, "x", 3]], ["inputs.1.1", "not a number: 'x'"]),
        ([[1, 2, 3], [1, None, 3]], ["inputs.1.1", "not a finite float32 number"]),
        ([[1, 2, 3], [1, [2], 3]], ["inputs.1.1", "not a number: [2]"]),
        ([[1, 2, 3], [1, 2, 1e39]], ["inputs.1.2", "not a finite float32 number"]),
        ([], ["inputs", "non-empty list"]),
    ],
)
def test_predict_names_the_bad_row(
    client: TestClient, model_id: str, inputs: list[Any], fragments: list[str]
) -> None:
    answer = client.post(f"/v1/models/{model_id}/predict", json={"inputs": inputs})
    assert_problem(answer, 422, *fragments)


def test_parse_rows_takes_numbers_as_float32_in_any_json_form() -> None:
    matrix = parse_rows(b'{"inputs": [[1, 2.5, -3e2], [0, 1e-3, 7]]}', 3)
    assert matrix.dtype == np.float32 and matrix.shape == (2, 3)
    assert matrix.tolist() == np.array([[1, 2.5, -300], [0, 1e-3, 7]], np.float32).tolist()
    one = parse_rows(b'{"instances": [[4]]}', 1)
    assert one.shape == (1, 1) and one[0, 0] == 4
    with pytest.raises(ApiError, match="each row must be a list"):
        parse_rows(b'{"inputs": [4, 5]}', 1)  # the right count of values, but no rows


def test_a_model_deleted_through_another_api_process_is_404_within_a_second(
    settings: Settings, tenant: str, model_id: str
) -> None:
    auth = {"Authorization": f"Bearer key-{tenant}"}
    path = f"/v1/models/{model_id}/predict"
    body = {"inputs": [[0, 0, 0]]}
    with (
        TestClient(create_app(settings), raise_server_exceptions=False, headers=auth) as one,
        TestClient(create_app(settings), raise_server_exceptions=False, headers=auth) as two,
    ):
        assert one.post(path, json=body).status_code == 200  # both processes cache the model
        assert two.post(path, json=body).status_code == 200
        assert one.delete(f"/v1/models/{model_id}").status_code == 204
        deleted = time.monotonic()
        assert_problem(one.post(path, json=body), 404, model_id)  # the deleting process: now
        while (answer := two.post(path, json=body)).status_code == 200:
            assert time.monotonic() - deleted < RECHECK_SECS + 1, "still answering"
            time.sleep(0.05)
        assert_problem(answer, 404, model_id)


def test_another_tenants_model_is_404(
    service_redis_url: str, tenant: str, model_id: str, client: TestClient
) -> None:
    other = Settings(redis_url=service_redis_url, api_keys=f"{tenant}x:other-{tenant}")
    with TestClient(create_app(other), raise_server_exceptions=False) as stranger:
        answer = stranger.post(
            f"/v1/models/{model_id}/predict",
            json={"inputs": [[0, 0, 0]]},
            headers={"Authorization": f"Bearer other-{tenant}"},
        )
    assert_problem(answer, 404, model_id)
    assert client.post(f"/v1/models/{model_id}/predict", json={"inputs": [[0, 0, 0]]}).is_success


def test_predict_keeps_the_shared_checks(client: TestClient, model_id: str) -> None:
    path = f"/v1/models/{model_id}/predict"
    body = {"inputs": [[0, 0, 0]]}
    assert_problem(client.post(path, json=body, headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(client.post(f"{path}?a=1&a=2", json=body), 422, "more than once")
    assert_problem(client.post("/v1/models/mdl_missing/predict", json=body), 404, "mdl_missing")


def test_predict_is_rate_limited_like_every_route(
    service_redis_url: str, tenant: str, model_id: str
) -> None:
    limited = Settings(
        redis_url=service_redis_url,
        api_keys=f"{tenant}:key-{tenant}",
        rate_limit_per_second=1,
        rate_limit_burst=3,
    )
    headers = {"Authorization": f"Bearer key-{tenant}"}
    with TestClient(create_app(limited), headers=headers) as client:
        answers = [
            client.post(f"/v1/models/{model_id}/predict", json={"inputs": [[0, 0, 0]]})
            for _ in range(5)
        ]
    assert [a.status_code for a in answers[:3]] == [200] * 3
    assert_problem(answers[4], 429, "rate limit")
