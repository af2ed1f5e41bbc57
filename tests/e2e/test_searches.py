"""Searches through real HTTP with a real Celery worker: each strategy from request to best
model, its live events, cancellation, and tenants."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import FINISHED, assert_problem, blobs, upload_json
from tests.e2e.streams import events, read_stream

SMALL = {"hidden_layer_sizes": [8], "max_iter": 8, "random_state": 0, "learning_rate_init": 0.05}


def start(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/searches", json=body)
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/v1/searches/{answer.json()['id']}"
    return dict(answer.json())


def wait_search(client: httpx.Client, search_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        search = dict(client.get(f"/v1/searches/{search_id}").json())
        if search["status"] in FINISHED:
            return search
        time.sleep(0.2)
    raise AssertionError(f"search {search_id} did not finish in {timeout}s: {search}")


def trial_jobs(client: httpx.Client, search_id: str) -> list[dict[str, Any]]:
    page = client.get("/v1/jobs", params={"search_id": search_id, "limit": 100}).json()
    assert page["next_cursor"] is None
    return list(page["data"])


STRATEGIES: dict[str, dict[str, Any]] = {
    "grid": {
        "strategy": "grid",
        "space": {"alpha": [0.0001, 0.1], "activation": ["relu", "tanh"]},
    },
    "random": {
        "strategy": "random",
        "space": {"alpha": {"low": 1e-5, "high": 1e-1, "log": True}},
        "max_trials": 3,
        "cv": 2,
    },
    "halving": {
        "strategy": "halving",
        "space": {"learning_rate_init": [0.001, 0.01, 0.03, 0.1]},
        "max_trials": 4,
        "halving": {"factor": 2, "min_resources": 2, "max_resources": 8},
    },
}


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_each_strategy_runs_on_real_workers_to_a_best_model(
    alice: httpx.Client, strategy: str
) -> None:
    X, y = blobs(90)
    dataset = upload_json(alice, X, y)
    search = start(
        alice, dataset_id=dataset["id"], params=SMALL, max_parallel=2, random_state=1,
        name=f"e2e {strategy}", **STRATEGIES[strategy],
    )  # fmt: skip
    with alice.stream("GET", f"/v1/searches/{search['id']}/events") as stream:
        assert stream.status_code == 200
        frames = events(read_stream(stream, within_secs=180))
    done = wait_search(alice, search["id"])
    assert done["status"] == "succeeded", done
    planned = done["trials"]["planned"]
    jobs = trial_jobs(alice, search["id"])
    assert len(jobs) == planned == done["trials"]["succeeded"]
    assert all(job["search_id"] == search["id"] for job in jobs)
    # One event per finished trial job, numbered, then the search itself.
    assert [f.id for f in frames] == [f"{n}-0" for n in range(1, planned + 1)] + [f"{planned}-1"]
    assert {f.data["job_id"] for f in frames[:-1]} == {job["id"] for job in jobs}
    assert frames[-1].event == "status" and frames[-1].data["id"] == search["id"]
    assert frames[-1].data["best_model_id"] == done["best_model_id"]
    board = done["leaderboard"]
    objectives = [entry["objective"] for entry in board if entry["rung"] == board[0]["rung"]]
    assert objectives == sorted(objectives, reverse=True)
    assert done["best_objective"] == board[0]["objective"] > 0.5
    predicted = alice.post(
        f"/v1/models/{done['best_model_id']}/predict", json={"inputs": X[:5].tolist()}
    )
    assert predicted.status_code == 200, predicted.text
    assert set(predicted.json()["predictions"]) <= {"red", "green", "blue"}
    listed = alice.get("/v1/searches", params={"limit": 100}).json()["data"]
    assert search["id"] in [s["id"] for s in listed]


ENDLESS = {"hidden_layer_sizes": [32], "max_iter": 100000, "n_iter_no_change": 100000,
           "batch_size": 8, "random_state": 0}  # fmt: skip


def test_cancelling_a_search_cancels_its_trials_and_starts_no_more(alice: httpx.Client) -> None:
    X, y = blobs(300)
    dataset = upload_json(alice, X, y)
    search = start(
        alice, dataset_id=dataset["id"], params=ENDLESS, strategy="grid",
        space={"alpha": [0.0001, 0.001, 0.01, 0.1]}, max_parallel=2,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(job["status"] == "running" for job in trial_jobs(alice, search["id"])):
        assert time.monotonic() < deadline, "no trial started"
        time.sleep(0.1)
    answer = alice.post(f"/v1/searches/{search['id']}/cancel")
    assert answer.status_code == 202, answer.text
    done = wait_search(alice, search["id"], timeout=60)
    assert done["status"] == "cancelled"
    jobs = trial_jobs(alice, search["id"])
    assert len(jobs) == 2 and {job["status"] for job in jobs} == {"cancelled"}
    assert done["trials"]["cancelled"] == 2 and done["best_model_id"] is None
    time.sleep(1)
    assert len(trial_jobs(alice, search["id"])) == 2  # nothing started after the cancel
    assert_problem(alice.post(f"/v1/searches/{search['id']}/cancel"), 409)
    assert alice.delete(f"/v1/searches/{search['id']}").status_code == 204


def test_a_search_is_its_tenants_alone(alice: httpx.Client, bob: httpx.Client) -> None:
    X, y = blobs(60)
    dataset = upload_json(alice, X, y)
    search = start(
        alice, dataset_id=dataset["id"], params={**SMALL, "max_iter": 2},
        space={"alpha": [0.001]}, strategy="grid",
    )  # fmt: skip
    for answer in (
        bob.get(f"/v1/searches/{search['id']}"),
        bob.post(f"/v1/searches/{search['id']}/cancel"),
        bob.delete(f"/v1/searches/{search['id']}"),
        bob.get(f"/v1/searches/{search['id']}/events"),
    ):
        assert_problem(answer, 404)
    assert search["id"] not in [s["id"] for s in bob.get("/v1/searches").json()["data"]]
    assert bob.get("/v1/jobs", params={"search_id": search["id"]}).json()["data"] == []
    assert wait_search(alice, search["id"])["status"] == "succeeded"
