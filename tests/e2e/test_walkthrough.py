"""The user's whole path over real HTTP, a real worker and the real Redis."""

from __future__ import annotations

import httpx
import numpy as np
import orjson

from tests.e2e.helpers import blobs, linear, submit, upload_json, wait_for


def _sse_events(client: httpx.Client, job_id: str, last_id: str | None = None) -> list[dict]:
    headers = {"Last-Event-ID": last_id} if last_id else {}
    events: list[dict] = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict = {}
        for line in response.iter_lines():
            if line.startswith("id: "):
                current["id"] = line[4:]
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = orjson.loads(line[6:])
            elif line == "" and "event" in current:
                events.append(current)
                current = {}
    return events


def test_classification_with_string_labels(alice: httpx.Client) -> None:
    X, y = blobs()
    dataset = upload_json(alice, X, y, name="blobs")
    assert dataset["target_kind"] == "categorical"
    assert dataset["classes"] == ["blue", "green", "red"]
    job = submit(
        alice,
        dataset["id"],
        task="classification",
        params={
            "hidden_layer_sizes": [16],
            "max_iter": 40,
            "random_state": 0,
            "learning_rate_init": 0.02,
        },
    )
    assert job["status"] in {"queued", "running"}
    assert job["params"]["batch_size"] == 200  # "auto" resolved: min(200, n_samples)
    assert job["params"]["solver"] == "adam" and job["params"]["alpha"] == 0.0001

    done = wait_for(alice, job["id"])
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["model_id"]
    assert done["started_at"] and done["finished_at"]

    history = alice.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    assert [entry["epoch"] for entry in history] == list(range(1, done["epoch"] + 1))
    assert history[-1]["loss"] < history[0]["loss"]

    events = _sse_events(alice, job["id"])
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["data"]["epoch"] for e in progress] == [h["epoch"] for h in history]
    assert events[-1]["event"] == "status" and events[-1]["data"]["status"] == "succeeded"
    resumed = _sse_events(alice, job["id"], last_id=progress[-3]["id"])
    assert [e["data"].get("epoch") for e in resumed[:-1]] == [h["epoch"] for h in history[-2:]]

    model = alice.get(f"/v1/models/{done['model_id']}").json()
    assert model["classes"] == ["blue", "green", "red"] and model["n_features"] == 3

    answer = alice.post(
        f"/v1/models/{done['model_id']}/predict", json={"inputs": X[:20].tolist()}
    ).json()
    assert answer["classes"] == ["blue", "green", "red"]
    assert sum(p == t for p, t in zip(answer["predictions"], y[:20], strict=True)) >= 18
    probabilities = np.array(answer["probabilities"])
    assert probabilities.shape == (20, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    same = alice.post(
        f"/v1/models/{done['model_id']}/predict", json={"instances": X[:20].tolist()}
    ).json()
    assert same["predictions"] == answer["predictions"]

    exported = alice.get(f"/v1/models/{done['model_id']}/export?format=safetensors")
    assert exported.status_code == 200 and len(exported.content) > 100


def test_regression(alice: httpx.Client) -> None:
    X, y = linear()
    dataset = upload_json(alice, X, y, name="linear")
    assert dataset["target_kind"] == "continuous"
    job = submit(
        alice,
        dataset["id"],
        params={
            "hidden_layer_sizes": [32],
            "max_iter": 200,
            "random_state": 0,
            "learning_rate_init": 0.01,
        },
    )
    assert job["task"] == "regression"  # chosen from the continuous target
    done = wait_for(alice, job["id"])
    assert done["status"] == "succeeded", done
    answer = alice.post(
        f"/v1/models/{done['model_id']}/predict", json={"inputs": X[:10].tolist()}
    ).json()
    assert "probabilities" not in answer
    assert np.allclose(answer["predictions"], y[:10], atol=1.0)


def test_lists_paginate_newest_first(alice: httpx.Client) -> None:
    X, y = blobs(30)
    ids = [upload_json(alice, X, y, name=f"p{i}")["id"] for i in range(3)]
    first = alice.get("/v1/datasets", params={"limit": 2}).json()
    assert [d["id"] for d in first["data"]] == ids[::-1][:2]
    second = alice.get("/v1/datasets", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["data"][0]["id"] == ids[0]
