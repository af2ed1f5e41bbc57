"""Names, tags, evaluation and convergence over real HTTP, with a real worker."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from sklearn import metrics as sk

from tests.e2e.helpers import blobs, linear, submit, upload_json, wait_for


def test_a_named_job_is_scored_like_scikit_learn_and_says_it_did_not_converge(
    alice: httpx.Client,
) -> None:
    X, y = blobs(150)
    X_test, y_test = blobs(50, seed=9)
    dataset = upload_json(alice, X, y)
    test = upload_json(alice, X_test, y_test)
    job = submit(
        alice,
        dataset["id"],
        params={"hidden_layer_sizes": [8], "max_iter": 5, "random_state": 0},
        name="five epochs",
        tags=["e2e", "short"],
        test_dataset_id=test["id"],
    )
    assert "attempts" not in job and "queue" not in job
    done = wait_for(alice, job["id"])
    assert (done["status"], done["progress"], done["converged"]) == ("succeeded", 1.0, False)
    assert done["warnings"] == [
        "Stochastic Optimizer: Maximum iterations (5) reached and the optimization hasn't "
        "converged yet."
    ]
    model = alice.get(f"/v1/models/{done['model_id']}").json()
    assert (model["name"], model["tags"]) == ("five epochs", ["e2e", "short"])
    listed = alice.get("/v1/models", params={"tag": "short"}).json()["data"]
    assert [m["id"] for m in listed][:1] == [model["id"]]

    for split, rows, truth in (("train", X, y), ("test", X_test, y_test)):
        answer = alice.post(
            f"/v1/models/{model['id']}/predict", json={"inputs": rows.tolist()}
        ).json()
        proba = np.asarray(answer["probabilities"], dtype=np.float32)
        pred = answer["predictions"]
        got = done["evaluation"][split]
        assert got["n_samples"] == len(truth)
        assert got["accuracy"] == pytest.approx(sk.accuracy_score(truth, pred), abs=1e-6)
        assert got["balanced_accuracy"] == pytest.approx(
            sk.balanced_accuracy_score(truth, pred), abs=1e-6
        )
        assert got["f1_macro"] == pytest.approx(sk.f1_score(truth, pred, average="macro"), abs=1e-6)
        assert got["log_loss"] == pytest.approx(
            sk.log_loss(truth, proba, labels=answer["classes"]), abs=1e-6
        )
        assert got["roc_auc"] is None  # three classes


def test_a_regression_that_stops_early_has_converged(alice: httpx.Client) -> None:
    X, y = linear(120)
    dataset = upload_json(alice, X, y)
    params = {"hidden_layer_sizes": [8], "max_iter": 500, "n_iter_no_change": 2, "tol": 100.0}
    done = wait_for(alice, submit(alice, dataset["id"], params=params)["id"])
    assert (done["status"], done["converged"], done["progress"]) == ("succeeded", True, 1.0)
    assert done["warnings"] == [] and done["epoch"] < 500
    pred = alice.post(f"/v1/models/{done['model_id']}/predict", json={"inputs": X.tolist()})
    predictions = np.asarray(pred.json()["predictions"])
    train = done["evaluation"]["train"]
    assert train["rmse"] == pytest.approx(sk.root_mean_squared_error(y, predictions), abs=1e-6)
    assert train["mae"] == pytest.approx(sk.mean_absolute_error(y, predictions), abs=1e-6)
    assert train["r2"] == pytest.approx(sk.r2_score(y, predictions), abs=1e-6)
    assert done["metrics"]["train_rmse"] > 0
