"""A succeeded job's evaluation per split equals scikit-learn's metrics on the model's own
predictions; test_dataset_id is checked at submission; convergence as scikit-learn's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient
from sklearn import metrics as sk

from engine import MLPParams, Trainer
from mlpforge.settings import Settings
from store import Store
from tests.e2e.helpers import assert_problem
from tests.service.jobs_helpers import blobs, submit, train, upload

TOL = 1e-6


def _predict(client: TestClient, model_id: str, X: np.ndarray) -> dict[str, Any]:
    answer = client.post(f"/v1/models/{model_id}/predict", json={"inputs": X.tolist()})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def classification_scores(
    client: TestClient, model_id: str, X: np.ndarray, y: list[Any]
) -> dict[str, float]:
    """scikit-learn's scores of the model's predictions over HTTP (probabilities as the
    float32 the model computes)."""
    answer = _predict(client, model_id, X)
    proba = np.asarray(answer["probabilities"], dtype=np.float32)
    pred, classes = answer["predictions"], answer["classes"]
    scores = {
        "accuracy": sk.accuracy_score(y, pred),
        "balanced_accuracy": sk.balanced_accuracy_score(y, pred),
        "f1_macro": sk.f1_score(y, pred, average="macro"),
        "log_loss": sk.log_loss(y, proba, labels=classes),
    }
    if len(classes) == 2:
        scores["roc_auc"] = sk.roc_auc_score(y, proba[:, 1])
    return scores


def regression_scores(
    client: TestClient, model_id: str, X: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    pred = np.asarray(_predict(client, model_id, X)["predictions"])
    return {
        "rmse": sk.root_mean_squared_error(y, pred),
        "mae": sk.mean_absolute_error(y, pred),
        "r2": sk.r2_score(y, pred),
    }


def assert_scores(got: dict[str, Any], expected: dict[str, float], n: int) -> None:
    assert got["n_samples"] == n
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=TOL), name


def validation_rows(job: dict[str, Any], X: np.ndarray, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """The worker's early-stopping split, drawn again from the job's resolved params."""
    trainer = Trainer(X, np.asarray(y), task=job["task"], params=MLPParams.from_dict(job["params"]))
    train_rows, val_rows = trainer.split
    assert train_rows is not None and val_rows is not None
    return train_rows, val_rows


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classification_evaluation_is_scikit_learns(
    client: TestClient, settings: Settings, tenant: str, n_classes: int
) -> None:
    X, labels = blobs(120, seed=n_classes)
    y = np.array(labels)
    if n_classes == 2:
        y = np.where(y == "red", "red", "other")
    dataset = upload(client, X, y)
    X_test, test_labels = blobs(40, seed=10)
    y_test = (
        np.array(test_labels)
        if n_classes == 3
        else np.where(np.array(test_labels) == "red", "red", "other")
    )
    test = upload(client, X_test, y_test)
    params = {"hidden_layer_sizes": [8], "max_iter": 40, "random_state": 0, "early_stopping": True}
    job = submit(client, dataset["id"], params=params, test_dataset_id=test["id"])
    assert job["test_dataset_id"] == test["id"]
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded", done
    evaluation, model_id = done["evaluation"], done["model_id"]
    train_rows, val_rows = validation_rows(done, X, y)
    X32 = X.astype(np.float32)
    for split, rows in (("train", train_rows), ("validation", val_rows)):
        expected = classification_scores(client, model_id, X32[rows], y[rows].tolist())
        assert_scores(evaluation[split], expected, rows.shape[0])
    expected = classification_scores(client, model_id, X_test.astype(np.float32), y_test.tolist())
    assert_scores(evaluation["test"], expected, 40)
    assert (evaluation["train"]["roc_auc"] is None) == (n_classes == 3)
    model = client.get(f"/v1/models/{model_id}").json()
    assert model["evaluation"] == evaluation


def test_regression_evaluation_is_in_the_targets_units(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 3))
    y = X @ np.array([300.0, -100.0, 20.0]) + 5_000
    dataset = upload(client, X, y)
    X_test = rng.normal(size=(30, 3))
    y_test = X_test @ np.array([300.0, -100.0, 20.0]) + 5_000
    test = upload(client, X_test, y_test)
    params = {"hidden_layer_sizes": [16], "max_iter": 30, "random_state": 0}
    job = submit(client, dataset["id"], params=params, test_dataset_id=test["id"])
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded", done
    X32, Xt32 = X.astype(np.float32), X_test.astype(np.float32)
    assert_scores(
        done["evaluation"]["train"], regression_scores(client, done["model_id"], X32, y), 100
    )
    assert_scores(
        done["evaluation"]["test"], regression_scores(client, done["model_id"], Xt32, y_test), 30
    )
    assert done["evaluation"]["validation"] is None  # no early stopping
    assert done["evaluation"]["train"]["rmse"] > 1  # the target's units, not standard deviations
    history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    assert all(entry["train_rmse"] > 0 for entry in history)
    assert done["metrics"]["train_rmse"] == history[-1]["train_rmse"]


def test_max_iter_reached_is_succeeded_but_not_converged(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs(60)
    dataset = upload(client, X, y)
    job = submit(client, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 3})
    done = train(client, settings, tenant, job["id"])
    assert (done["status"], done["converged"], done["progress"]) == ("succeeded", False, 1.0)
    assert done["warnings"] == [
        "Stochastic Optimizer: Maximum iterations (3) reached and the optimization hasn't "
        "converged yet."
    ]


def test_stopping_early_is_converged_with_progress_one(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs(60)
    dataset = upload(client, X, y)
    params = {"hidden_layer_sizes": [4], "max_iter": 500, "n_iter_no_change": 2, "tol": 10.0}
    job = submit(client, dataset["id"], params=params)
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded" and done["epoch"] < 500
    assert (done["converged"], done["progress"], done["warnings"]) == (True, 1.0, [])


@pytest.fixture
def labelled(client: TestClient) -> dict[str, Any]:
    X, y = blobs(60)
    return upload(client, X, y)


def _refused(client: TestClient, body: dict[str, Any], status: int, *fragments: str) -> None:
    answer = client.post("/v1/jobs", json=body)
    problem = assert_problem(answer, status, *fragments)
    if status == 422:
        assert problem["errors"][0]["loc"] == ["body", "test_dataset_id"], problem


def test_test_dataset_id_is_checked_at_submission(
    client: TestClient, labelled: dict[str, Any], redis_client: redis.Redis, tenant: str
) -> None:
    base = {"dataset_id": labelled["id"]}
    _refused(
        client, {**base, "test_dataset_id": "ds_00000000000000000000abcd"}, 404, "test dataset"
    )
    _refused(client, {**base, "test_dataset_id": "not an id"}, 404, "test dataset")
    # another tenant's dataset is a 404 like one that never existed
    X, y = blobs(20)
    theirs = Store(redis_client, tenant + "other").datasets.create(
        X=X.astype(np.float32),
        y=np.array(y),
        name=None,
        feature_names=["a", "b", "c"],
        target_name=None,
        target_kind="categorical",
        classes=["blue", "green", "red"],
    )
    _refused(client, {**base, "test_dataset_id": theirs.id}, 404, "test dataset")
    wide = upload(client, np.zeros((4, 5)), ["red", "blue", "red", "blue"])
    _refused(client, {**base, "test_dataset_id": wide["id"]}, 422, "5 features", "has 3")
    strange = upload(client, np.zeros((4, 3)), ["red", "pink", "red", "blue"])
    _refused(client, {**base, "test_dataset_id": strange["id"]}, 422, "'pink'")
    continuous = upload(client, np.zeros((4, 3)), [0.5, 1.5, 2.5, 3.25])
    _refused(client, {**base, "test_dataset_id": continuous["id"]}, 422, "continuous")
    numbers = upload(client, np.zeros((4, 3)), [0.5, 1.5, 2.5, 3.25])
    _refused(
        client,
        {"dataset_id": numbers["id"], "task": "regression", "test_dataset_id": labelled["id"]},
        422,
        "numeric",
    )
    subset = upload(client, np.zeros((4, 3)), ["red", "red", "blue", "blue"])
    accepted = client.post("/v1/jobs", json={**base, "test_dataset_id": subset["id"]})
    assert accepted.status_code == 202, accepted.text
    client.post(f"/v1/jobs/{accepted.json()['id']}/cancel")
    _refused(client, {**base, "test_dataset_id": "x" * 65}, 422)  # over its length


def test_a_test_set_deleted_before_the_end_leaves_a_warning(
    client: TestClient, settings: Settings, tenant: str, labelled: dict[str, Any]
) -> None:
    X, y = blobs(30, seed=4)
    test = upload(client, X, y)
    job = submit(
        client,
        labelled["id"],
        params={"hidden_layer_sizes": [4], "max_iter": 2},
        test_dataset_id=test["id"],
    )
    assert client.delete(f"/v1/datasets/{test['id']}").status_code == 204
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded" and done["evaluation"]["test"] is None
    assert any(test["id"] in warning and "deleted" in warning for warning in done["warnings"])
