"""A search from request to leaderboard, its trials trained by `run_job` and the search
stepped by its controller in this process: halving promotions, cv folds and the refit, the
leaderboard's order, events, and steps that are safe to repeat or race."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from mlpforge.search import trials
from mlpforge.search.controller import Controller
from mlpforge.settings import Settings
from service.app import create_app
from tests.search.test_halving import sklearn_rungs
from tests.service.search_helpers import create, dataset, drive, separable, trial_jobs

SMALL = {"hidden_layer_sizes": [4], "random_state": 0}


def test_halving_promotes_the_best_of_each_rung_in_scikit_learns_rungs(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    rates = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 0.5]
    search = create(
        client,
        dataset(client),
        params={**SMALL, "max_iter": 9},
        space={"learning_rate_init": rates},
        strategy="halving",
        halving={"min_resources": "exhaust"},
        max_trials=9,
        max_parallel=3,
    )
    plan = search["halving"]
    resources, candidates = sklearn_rungs(9, 3, "exhaust", 9, False)
    assert (plan["n_resources"], plan["n_candidates"]) == (resources, candidates) == (
        [1, 3, 9], [9, 3, 1],
    )  # fmt: skip
    assert search["trials"]["planned"] == 13
    done = drive(client, settings, tenant, search["id"])
    assert done["status"] == "succeeded", done
    board = done["leaderboard"]
    by_rung = {r: [e for e in board if e["rung"] == r] for r in range(3)}
    assert [len(by_rung[r]) for r in range(3)] == candidates
    jobs = {job["id"]: job for job in trial_jobs(client, search["id"])}
    assert len(jobs) == 13
    for rung, entries in by_rung.items():
        assert {e["resources"] for e in entries} == {resources[rung]}
        for entry in entries:
            job = jobs[entry["job_id"]]
            if rung > 0 and trials.CONTINUES:
                # A promotion continues its candidate's model of the rung before, for the
                # rest of this rung's epochs.
                (before,) = [e for e in by_rung[rung - 1] if e["candidate"] == entry["candidate"]]
                assert job["init_model_id"] == before["model_id"] is not None
                assert job["params"]["max_iter"] == resources[rung] - resources[rung - 1]
                assert entry["epochs"] == before["epochs"] + job["epoch"]
            else:
                assert job["params"]["max_iter"] == resources[rung]
            assert entry["epochs"] <= resources[rung]
        if rung < 2:  # the rung's best go on: by objective, ties by candidate number
            ranked = sorted(entries, key=lambda e: (-(e["objective"] or -1), e["candidate"]))
            promoted = {e["candidate"] for e in by_rung[rung + 1]}
            assert promoted == {e["candidate"] for e in ranked[: candidates[rung + 1]]}
    assert board[0]["rung"] == 2 and board[0]["rank"] == 1
    assert done["best_job_id"] == board[0]["job_id"]
    assert done["best_model_id"] == board[0]["model_id"] is not None
    assert done["best_params"] == board[0]["params"]
    assert client.get(f"/v1/models/{done['best_model_id']}").status_code == 200


def test_cv_trials_score_their_held_out_fold_and_the_best_is_refit_on_every_row(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    search = create(
        client,
        dataset(client, n=60),
        params={**SMALL, "max_iter": 20, "learning_rate_init": 0.05},
        space={"alpha": [0.0001, 0.5]},
        strategy="grid",
        cv=3,
        max_parallel=2,
        random_state=4,
    )
    assert search["trials"]["planned"] == 2 * 3 + 1
    done = drive(client, settings, tenant, search["id"])
    assert done["status"] == "succeeded", done
    jobs = {job["id"]: job for job in trial_jobs(client, search["id"])}
    assert len(jobs) == 7
    for entry in done["leaderboard"]:
        folds = [jobs[job_id] for job_id in entry["job_ids"]]
        assert sorted(job["fold"]["index"] for job in folds) == [0, 1, 2]
        for job in folds:
            assert job["fold"]["k"] == 3
            assert job["evaluation"]["train"]["n_samples"] == 40
            assert job["evaluation"]["held_out"]["n_samples"] == 20
        held_out = [job["evaluation"]["held_out"]["accuracy"] for job in folds]
        assert entry["fold_objectives"] == held_out
        assert entry["objective"] == pytest.approx(sum(held_out) / 3)
    refit = jobs[done["refit_job_id"]]
    assert refit["fold"] is None and refit["evaluation"]["train"]["n_samples"] == 60
    assert refit["params"]["alpha"] == done["best_params"]["alpha"]
    assert done["best_job_id"] == refit["id"] and done["best_model_id"] == refit["model_id"]
    X, _ = separable(4)
    predicted = client.post(
        f"/v1/models/{done['best_model_id']}/predict", json={"inputs": X.tolist()}
    )
    assert predicted.status_code == 200 and len(predicted.json()["predictions"]) == 4


def test_the_leaderboard_is_best_first_in_the_goals_direction(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, _ = separable(80)
    targets = (X @ [1.5, -2.0, 0.5]).round(3).tolist()
    answer = client.post("/v1/datasets", json={"features": X.tolist(), "targets": targets})
    search = create(
        client,
        answer.json()["id"],
        params={**SMALL, "max_iter": 15, "early_stopping": True, "validation_fraction": 0.25},
        space={"learning_rate_init": [0.0001, 0.003, 0.03]},
        strategy="grid",
        objective={"metric": "rmse"},
        max_parallel=3,
    )
    assert search["objective"] == {"metric": "rmse", "goal": "minimize"}
    assert search["warnings"] == []  # scored on the validation split, not the training rows
    done = drive(client, settings, tenant, search["id"])
    board = done["leaderboard"]
    objectives = [entry["objective"] for entry in board]
    assert objectives == sorted(objectives) and len(objectives) == 3
    for entry in board:
        job = client.get(f"/v1/jobs/{entry['job_id']}").json()
        assert entry["objective"] == job["evaluation"]["validation"]["rmse"]
        assert entry["epochs"] == job["epoch"] and entry["model_id"] == job["model_id"]
    assert done["best_job_id"] == board[0]["job_id"]
    assert done["best_objective"] == board[0]["objective"]
    export = client.get(
        f"/v1/models/{done['best_model_id']}/export", params={"format": "safetensors"}
    )
    assert export.status_code == 200 and len(export.content) > 0


def test_a_trial_cancelled_by_hand_is_ranked_last_and_the_search_goes_on(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    search = create(
        client,
        dataset(client),
        params={**SMALL, "max_iter": 3},
        space={"alpha": [0.0001, 0.001, 0.01]},
        strategy="grid",
        max_parallel=1,
    )
    (first,) = trial_jobs(client, search["id"])
    assert client.post(f"/v1/jobs/{first['id']}/cancel").status_code == 202
    done = drive(client, settings, tenant, search["id"])
    assert done["status"] == "succeeded"
    assert done["trials"] | {"planned": 0} == {
        "planned": 0, "queued": 0, "running": 0, "succeeded": 2, "failed": 0, "cancelled": 1,
    }  # fmt: skip
    last = done["leaderboard"][-1]
    assert (last["job_id"], last["status"], last["objective"]) == (first["id"], "cancelled", None)


def _events(text: str) -> list[dict[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in ("event", "id", "data"):
                fields[name] = value
        if "event" in fields:
            events.append(fields)
    return events


def test_events_are_one_per_finished_trial_job_then_the_search(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    search = create(
        client,
        dataset(client),
        params={**SMALL, "max_iter": 3},
        space={"alpha": [0.0001, 0.001, 0.01]},
        strategy="grid",
        max_parallel=2,
    )
    done = drive(client, settings, tenant, search["id"])
    events = _events(client.get(f"/v1/searches/{search['id']}/events").text)
    assert [e["event"] for e in events] == ["trial", "trial", "trial", "status"]
    assert [e["id"] for e in events] == ["1-0", "2-0", "3-0", "3-1"]
    final = httpx.Response(200, content=events[-1]["data"]).json()
    assert final["status"] == "succeeded" and final["leaderboard"] == done["leaderboard"]
    trial = httpx.Response(200, content=events[0]["data"]).json()
    assert {"job_id", "params", "objective", "epochs", "seconds", "status"} <= trial.keys()
    resumed = client.get(f"/v1/searches/{search['id']}/events", headers={"Last-Event-ID": "2-0"})
    assert [e["id"] for e in _events(resumed.text)] == ["3-0", "3-1"]


def test_racing_controllers_never_run_more_than_max_parallel_trials(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    search = create(
        client,
        dataset(client),
        params={**SMALL, "max_iter": 2},
        space={"alpha": [0.0001, 0.001, 0.01, 0.1, 0.2, 0.3]},
        strategy="grid",
        max_parallel=2,
    )
    controllers = [
        Controller(redis.Redis.from_url(settings.redis_url), client.app.state.queue, settings)  # type: ignore[attr-defined]
        for _ in range(8)
    ]
    threads = [threading.Thread(target=c.step, args=(tenant, search["id"])) for c in controllers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(trial_jobs(client, search["id"])) == 2
    done = drive(client, settings, tenant, search["id"])
    version = client.get(f"/v1/searches/{search['id']}").json()
    controllers[0].step(tenant, search["id"])  # a finished search: a step changes nothing
    assert client.get(f"/v1/searches/{search['id']}").json() == version == done
    assert len(trial_jobs(client, search["id"])) == 6


def test_trials_wait_for_the_tenants_active_jobs_limit_and_then_start(
    settings: Settings, tenant: str
) -> None:
    limited = settings.model_copy(update={"max_active_jobs": 2})
    with TestClient(create_app(limited), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        dataset_id = dataset(client)
        blockers = [
            client.post("/v1/jobs", json={"dataset_id": dataset_id, "params": SMALL}).json()
            for _ in range(2)
        ]
        search = create(
            client,
            dataset_id,
            params={**SMALL, "max_iter": 2},
            space={"alpha": [0.001, 0.01]},
            strategy="grid",
            max_parallel=2,
        )
        assert search["trials"]["queued"] == 0
        assert "MLPFORGE_MAX_ACTIVE_JOBS" in (search["waiting"] or "")
        for job in blockers:
            assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 202
        done = drive(client, limited, tenant, search["id"])
        assert done["status"] == "succeeded" and done["waiting"] is None
        assert done["trials"]["succeeded"] == 2
