"""POST /v1/searches refuses what it cannot run — naming the parameter and the value — and
keeps every list and size bounded; a search is its tenant's alone. No worker is needed: what
is checked here is decided before anything trains."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from service.app import create_app
from tests.e2e.helpers import assert_problem
from tests.service.search_helpers import create, dataset, trial_jobs

BASE: dict[str, Any] = {
    "params": {"hidden_layer_sizes": [4], "max_iter": 3, "random_state": 0},
    "space": {"alpha": [0.0001, 0.01]},
    "max_parallel": 1,
}


@pytest.fixture
def dataset_id(client: TestClient) -> str:
    return dataset(client)


def refused(
    client: TestClient, body: dict[str, Any], status: int, *fragments: str
) -> dict[str, Any]:
    return assert_problem(client.post("/v1/searches", json=body), status, *fragments)


@pytest.mark.parametrize(
    ("change", "loc", "fragments"),
    [
        ({"space": {"alpha": [0.1, -1]}}, ["body", "space", "alpha"], ["alpha=-1", ">= 0"]),
        (
            {"space": {"activation": ["relu", "swish"]}},
            ["body", "space", "activation"],
            ["activation='swish'"],
        ),
        (
            {"space": {"hidden_layer_sizes": [[8], [100000, 100000]]}},
            ["body", "space", "hidden_layer_sizes"],
            ["[100000, 100000]", "MLPFORGE_MAX_PARAMETERS"],
        ),
        (
            {"space": {"max_iter": [5, 1000000]}},
            ["body", "space", "max_iter"],
            ["max_iter=1000000", "MLPFORGE_MAX_EPOCHS"],
        ),
        (
            {
                "space": {"batch_size": {"low": 0, "high": 10, "integer": True}},
                "strategy": "random",
            },
            ["body", "space", "batch_size"],
            ["batch_size=0"],
        ),
        ({"space": {"nonsense": [1]}}, ["body", "space", "nonsense"], ["unknown parameter"]),
        ({"params": {"nonsense": 1}}, ["body", "params", "nonsense"], ["unknown parameter"]),
        ({"params": {"alpha": -2}}, ["body", "params", "alpha"], ["-2"]),
        (
            {"space": {"alpha": {"low": 0.1, "high": 1}}, "strategy": "grid"},
            ["body", "space", "alpha"],
            ["a grid takes a list"],
        ),
        (
            {"space": {"max_iter": [3, 9]}, "strategy": "halving"},
            ["body", "space", "max_iter"],
            ["resource"],
        ),
        (
            {"space": {"early_stopping": [True], "validation_fraction": [0.5, 0.01]}},
            ["body", "space", "validation_fraction"],
            ["validation_fraction=0.01", "holds out 1 of the 60 rows"],
        ),
        (
            {"objective": {"metric": "val_loss"}},
            ["body", "objective", "metric"],
            ["early_stopping"],
        ),
        ({"objective": {"metric": "rmse"}}, ["body", "objective", "metric"], ["regression"]),
        ({"objective": {"metric": "nope"}}, ["body", "objective", "metric"], ["unknown metric"]),
        ({"cv": 21}, ["body", "cv"], []),
        ({"cv": 1}, ["body", "cv"], []),
        ({"halving": {"factor": 3}}, ["body", "halving"], ["only for strategy 'halving'"]),
        (
            {"strategy": "halving", "halving": {"min_resources": 50}, "max_trials": 3},
            ["body", "halving", "min_resources"],
            ["min_resources=50 is greater than max_resources=3"],
        ),
        ({"max_parallel": 0}, ["body", "max_parallel"], []),
        ({"strategy": "bayes"}, ["body", "strategy"], []),
    ],
)
def test_bad_searches_are_422s_naming_the_parameter_and_value(
    client: TestClient,
    dataset_id: str,
    change: dict[str, Any],
    loc: list[str],
    fragments: list[str],
) -> None:
    problem = refused(client, {**BASE, "dataset_id": dataset_id, **change}, 422, *fragments)
    assert any(error["loc"][: len(loc)] == loc for error in problem["errors"]), problem
    assert trial_jobs(client, "srch_" + "0" * 24) == []


def test_every_list_and_size_has_a_limit(client: TestClient, dataset_id: str) -> None:
    body = {**BASE, "dataset_id": dataset_id}
    too_many = {f"p{i}": [1] for i in range(21)}
    refused(client, {**body, "space": too_many}, 422, "space")
    refused(client, {**body, "space": {"alpha": [0.1] * 101}}, 422, "space", "alpha")
    refused(client, {**body, "space": {"alpha": ["x" * 65]}}, 422, "alpha")
    refused(client, {**body, "space": {}}, 422, "space")
    refused(client, {**body, "name": "n" * 201}, 422, "name")
    refused(client, {**body, "tags": [f"t{i}" for i in range(21)]}, 422, "tags")
    refused(client, {**body, "max_trials": 1001}, 422, "max_trials", "MLPFORGE_MAX_TRIALS")
    # A grid larger than max_trials (or the setting) is refused with its size.
    grid = {"alpha": [1e-5, 1e-4, 1e-3, 1e-2], "learning_rate_init": [0.001, 0.01, 0.1]}
    refused(client, {**body, "strategy": "grid", "space": grid, "max_trials": 6}, 422,
            "max_trials", "the grid has 12 points")  # fmt: skip
    wide = {
        name: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
        for name in ("momentum", "beta_1", "validation_fraction", "power_t")
    }
    refused(client, {**body, "strategy": "grid", "space": wide}, 422, "10,000 points", "1,000")
    few = dataset(client, n=12)
    refused(client, {**body, "dataset_id": few, "cv": 15}, 422, "cv", "15 folds of a dataset of 12")
    ranged = {"alpha": {"low": 1e-5, "high": 1e-1, "log": True}}
    refused(client, {**body, "space": ranged, "max_trials": 1000, "cv": 10}, 422, "cv",
            "10,001 jobs", "MLPFORGE_MAX_SEARCH_JOBS")  # fmt: skip


def test_max_parallel_is_bounded_by_the_active_jobs_limit(
    settings: Settings, tenant: str, dataset_id: str
) -> None:
    limited = settings.model_copy(update={"max_active_jobs": 3, "max_active_searches": 1})
    with TestClient(create_app(limited), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        body = {**BASE, "dataset_id": dataset_id}
        refused(
            client, {**body, "max_parallel": 4}, 422, "max_parallel", "MLPFORGE_MAX_ACTIVE_JOBS"
        )
        create(client, dataset_id, **BASE)
        # One unfinished search per tenant here: the second waits for the first.
        answer = refused(client, body, 429, "MLPFORGE_MAX_ACTIVE_SEARCHES")
        assert answer["status"] == 429


def test_an_unknown_dataset_is_a_404(client: TestClient) -> None:
    refused(client, {**BASE, "dataset_id": "ds_" + "0" * 24}, 404, "dataset")
    refused(client, {**BASE, "dataset_id": "ds_bad:X"}, 404, "dataset")


@pytest.fixture
def other(settings: Settings) -> Iterator[TestClient]:
    two = settings.model_copy(update={"api_keys": f"{settings.api_keys},mallory:key-mallory"})
    with TestClient(create_app(two), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = "Bearer key-mallory"
        yield client


def test_another_tenants_search_is_a_404_everywhere(
    client: TestClient, other: TestClient, dataset_id: str
) -> None:
    search = create(client, dataset_id, **BASE)
    path = f"/v1/searches/{search['id']}"
    for answer in (
        other.get(path),
        other.post(f"{path}/cancel"),
        other.delete(path),
        other.get(f"{path}/events"),
    ):
        assert_problem(answer, 404, "search")
    assert other.get("/v1/searches").json()["data"] == []
    assert other.get("/v1/jobs", params={"search_id": search["id"]}).json()["data"] == []
    # Nor can the other tenant search over this tenant's dataset.
    refused(other, {**BASE, "dataset_id": dataset_id}, 404, "dataset")
    assert_problem(client.get("/v1/searches/srch_nope"), 404)
    assert_problem(client.get("/v1/jobs", params={"search_id": "x:y"}), 422, "search_id")


def test_cancel_stops_a_search_and_a_finished_one_is_a_409(
    client: TestClient, dataset_id: str
) -> None:
    search = create(client, dataset_id, **{**BASE, "space": {"alpha": [0.1, 0.2, 0.3]}})
    assert search["trials"]["queued"] == 1  # max_parallel: one at a time
    assert_problem(client.delete(f"/v1/searches/{search['id']}"), 409, "cancel it first")
    cancelled = client.post(f"/v1/searches/{search['id']}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    # No worker ran the queued trial: it is cancelled at once, and nothing else starts.
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["trials"] | {"planned": 0} == {
        "planned": 0, "queued": 0, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 1,
    }  # fmt: skip
    jobs = trial_jobs(client, search["id"])
    assert [job["status"] for job in jobs] == ["cancelled"]
    assert_problem(client.post(f"/v1/searches/{search['id']}/cancel"), 409, "already finished")
    assert client.delete(f"/v1/searches/{search['id']}").status_code == 204
    assert_problem(client.get(f"/v1/searches/{search['id']}"), 404)
    assert_problem(client.get(f"/v1/jobs/{jobs[0]['id']}"), 404)  # its trials went with it


def test_the_same_idempotency_key_gives_the_same_search(
    client: TestClient, dataset_id: str
) -> None:
    body = {**BASE, "dataset_id": dataset_id}
    headers = {"Idempotency-Key": "search-1"}
    first = client.post("/v1/searches", json=body, headers=headers)
    again = client.post("/v1/searches", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other = client.post("/v1/searches", json={**body, "max_parallel": 2}, headers=headers)
    assert_problem(other, 422, "Idempotency-Key")
    listed = client.get("/v1/searches").json()["data"]
    assert [s["id"] for s in listed].count(first.json()["id"]) == 1
