"""Through HTTP with a real worker: lbfgs jobs report every iteration as an epoch and cancel
between them; a job that continues a model (init_model_id) ends where the uninterrupted fit
does."""

from __future__ import annotations

import time

import httpx
import numpy as np

from engine import load_model
from tests.e2e.helpers import blobs, submit, upload_json, wait_for
from tests.e2e.streams import events, read_stream


def test_lbfgs_reports_one_progress_event_per_iteration(alice: httpx.Client) -> None:
    X, y = blobs(240)
    dataset = upload_json(alice, X, y)
    params = {"solver": "lbfgs", "hidden_layer_sizes": [8], "max_iter": 12, "random_state": 0}
    job = submit(alice, dataset["id"], params=params)
    assert job["params"]["batch_size"] == 240 and job["params"]["dtype"] == "float64"
    with alice.stream("GET", f"/v1/jobs/{job['id']}/events") as response:
        frames = events(read_stream(response, within_secs=120))
    progress = [frame for frame in frames if frame.event == "progress"]
    final = frames[-1]
    assert final.event == "status" and final.data["status"] == "succeeded", final.data
    epochs = final.data["epoch"]
    assert 1 <= epochs <= 12
    assert [frame.data["epoch"] for frame in progress] == list(range(1, epochs + 1))
    assert all(frame.data["learning_rate"] is None for frame in progress)
    losses = [frame.data["loss"] for frame in progress]
    assert losses == sorted(losses, reverse=True)  # L-BFGS's iterates only ever lower it
    assert final.data["progress"] == 1.0


# An lbfgs fit that would run for hours: tol 0 never holds, max_iter and max_fun are far off.
ENDLESS_LBFGS = {
    "solver": "lbfgs",
    "hidden_layer_sizes": [128, 128],
    "max_iter": 100000,
    "max_fun": 1000000,
    "tol": 0.0,
    "random_state": 0,
}


def _hard_dataset(client: httpx.Client) -> str:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(4000, 20)).round(3)
    y = (X[:, :4].sum(axis=1) > 0).astype(int).tolist()
    return str(upload_json(client, X, y)["id"])


def test_an_lbfgs_job_is_cancelled_between_iterations(alice: httpx.Client) -> None:
    job = submit(alice, _hard_dataset(alice), params=ENDLESS_LBFGS)
    running = wait_for(alice, job["id"], {"running"})
    deadline = time.monotonic() + 60
    while running["epoch"] < 2:
        assert time.monotonic() < deadline, "no lbfgs iteration finished"
        time.sleep(0.05)
        running = alice.get(f"/v1/jobs/{job['id']}").json()
    assert alice.post(f"/v1/jobs/{job['id']}/cancel").status_code == 202
    cancelled_at = time.monotonic()
    done = wait_for(alice, job["id"], timeout=30)
    assert done["status"] == "cancelled" and done["model_id"] is None, done
    assert time.monotonic() - cancelled_at < 10


def test_an_lbfgs_job_ends_at_its_time_limit_without_a_model(alice: httpx.Client) -> None:
    job = submit(alice, _hard_dataset(alice), params=ENDLESS_LBFGS, max_runtime_secs=2)
    done = wait_for(alice, job["id"], timeout=60)
    assert done["status"] == "failed" and done["error"]["type"] == "TimeLimitExceeded", done
    assert done["model_id"] is None and done["epoch"] >= 1


def test_continuing_3_then_3_epochs_is_the_6_epoch_fit(alice: httpx.Client) -> None:
    """The model carries Adam's moments, step count and schedule: a job that continues a
    3-epoch model for 3 more epochs ends on the 6-epoch fit's weights (no shuffling, so the
    batches are the same)."""
    X, y = blobs(240)
    dataset = upload_json(alice, X, y)
    params = {"hidden_layer_sizes": [8], "random_state": 0, "shuffle": False, "batch_size": 16}
    six = wait_for(alice, submit(alice, dataset["id"], params={**params, "max_iter": 6})["id"])
    three = wait_for(alice, submit(alice, dataset["id"], params={**params, "max_iter": 3})["id"])
    job = submit(
        alice, dataset["id"], init_model_id=three["model_id"], params={**params, "max_iter": 3}
    )
    assert job["init_model_id"] == three["model_id"]
    more = wait_for(alice, job["id"])
    assert {six["status"], three["status"], more["status"]} == {"succeeded"}, more

    def weights(model_id: str) -> list[np.ndarray]:
        answer = alice.get(f"/v1/models/{model_id}/export", params={"format": "safetensors"})
        model = load_model(answer.content)
        return model.coefs_ + model.intercepts_

    for a, b in zip(weights(more["model_id"]), weights(six["model_id"]), strict=True):
        np.testing.assert_array_equal(a, b)
    history = alice.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    six_history = alice.get(f"/v1/jobs/{six['id']}/metrics").json()["history"]
    assert [h["loss"] for h in history] == [h["loss"] for h in six_history[3:]]
    model = alice.get(f"/v1/models/{more['model_id']}").json()
    assert model["parent_model_id"] == three["model_id"]
