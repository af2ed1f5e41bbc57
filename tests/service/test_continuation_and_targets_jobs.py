"""Jobs on weighted datasets and multi-column targets, and jobs that continue a model
(``init_model_id``): checked at submission against the data and the model, trained by the
worker's own code in this process."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient
from sklearn import metrics as sk

from engine import load_model
from mlpforge.settings import Settings
from service.app import create_app
from store import Store
from store.datasets import class_table
from tests.e2e.helpers import assert_problem
from tests.service.jobs_helpers import blobs, submit, train, upload
from worker.fit import trainer_for

SMALL = {"hidden_layer_sizes": [6], "max_iter": 4, "random_state": 0}


def _dataset(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/datasets", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _model(client: TestClient, settings: Settings, tenant: str, dataset_id: str, **job: Any) -> str:
    done = train(client, settings, tenant, submit(client, dataset_id, **job)["id"])
    assert done["status"] == "succeeded", done
    return str(done["model_id"])


def test_a_weighted_dataset_trains_and_scores_with_its_weights(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs(90)
    w = np.random.default_rng(1).random(90).round(3) + 0.01
    dataset = _dataset(client, features=X.tolist(), targets=y, weights=w.tolist())
    done = train(client, settings, tenant, submit(client, dataset["id"], params=SMALL)["id"])
    assert done["status"] == "succeeded", done
    scores = done["evaluation"]["train"]
    assert scores["weighted"] is True
    answer = client.post(f"/v1/models/{done['model_id']}/predict", json={"inputs": X.tolist()})
    predicted = answer.json()["predictions"]
    assert scores["accuracy"] == pytest.approx(sk.accuracy_score(y, predicted, sample_weight=w))
    assert scores["f1_macro"] == pytest.approx(
        sk.f1_score(y, predicted, average="macro", sample_weight=w)
    )
    unweighted = _dataset(client, features=X.tolist(), targets=y)
    plain = train(client, settings, tenant, submit(client, unweighted["id"], params=SMALL)["id"])
    assert plain["evaluation"]["train"]["weighted"] is False
    assert plain["metrics"]["loss"] != done["metrics"]["loss"]  # the weights changed the fit


def test_multilabel_and_multi_output_jobs(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 3)).round(3)
    labels = (X + rng.normal(scale=0.3, size=X.shape) > 0).astype(int)
    multilabel = _dataset(client, features=X.tolist(), targets=labels.tolist())
    done = train(client, settings, tenant, submit(client, multilabel["id"], params=SMALL)["id"])
    assert done["status"] == "succeeded" and done["task"] == "classification", done
    model = client.get(f"/v1/models/{done['model_id']}").json()
    assert model["multilabel"] is True and model["n_targets"] == 3 and model["classes"] == [0, 1, 2]
    answer = client.post(f"/v1/models/{done['model_id']}/predict", json={"inputs": X[:4].tolist()})
    body = answer.json()
    assert np.asarray(body["predictions"]).shape == (4, 3)
    assert np.asarray(body["probabilities"]).shape == (4, 3) and body["classes"] == [0, 1, 2]
    assert body["predictions"] == (np.asarray(body["probabilities"]) > 0.5).astype(int).tolist()
    scores = done["evaluation"]["train"]
    assert scores["balanced_accuracy"] is None and scores["f1_macro"] is not None

    # the same 0/1 matrix as regression targets, and other numbers: multi-output regression
    values = (X @ rng.normal(size=(3, 2)) * 10 + 100).round(3)
    for dataset_id in (
        multilabel["id"],
        _dataset(client, features=X.tolist(), targets=values.tolist())["id"],
    ):
        job = submit(client, dataset_id, task="regression", params=SMALL)
        done = train(client, settings, tenant, job["id"])
        assert done["status"] == "succeeded", done
        answer = client.post(
            f"/v1/models/{done['model_id']}/predict", json={"inputs": X[:4].tolist()}
        )
        assert np.asarray(answer.json()["predictions"]).shape == (
            4,
            2 if dataset_id != multilabel["id"] else 3,
        )


def test_classifying_a_matrix_of_other_numbers_is_refused(client: TestClient) -> None:
    dataset = _dataset(client, features=[[0], [1], [2]], targets=[[0, 2], [1, 3], [2, 2]])
    answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "task": "classification"})
    problem = assert_problem(answer, 422, "multilabel classification, which needs 0/1 values")
    assert problem["errors"][0]["loc"] == ["body", "task"]
    # the default task of such a dataset is regression
    assert (
        client.post("/v1/jobs", json={"dataset_id": dataset["id"]}).json()["task"] == "regression"
    )


def test_parameters_count_the_outputs_of_every_target(
    client: TestClient, settings: Settings
) -> None:
    """A network's size counts one output unit per target column."""
    width = 500
    rows = [[0.0] * 10] * 2
    dataset = _dataset(client, features=rows, targets=[[0] * width, [1] * width])
    hidden = settings.max_parameters // (width + 11) + 1  # fits with 1 output, not with 500
    answer = client.post(
        "/v1/jobs",
        json={"dataset_id": dataset["id"], "params": {"hidden_layer_sizes": [hidden]}},
    )
    assert_problem(answer, 422, "parameters; the limit is")


def test_lbfgs_and_poisson_jobs_through_the_service(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 3)).round(3)
    counts = rng.poisson(np.exp(0.5 * X[:, 0] + 0.2)).astype(float)
    dataset = _dataset(client, features=X.tolist(), targets=counts.tolist())
    job = submit(client, dataset["id"], task="regression", params={**SMALL, "loss": "poisson"})
    assert job["params"]["loss"] == "poisson" and job["params"]["dtype"] == "float32"
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded", done
    predicted = client.post(f"/v1/models/{done['model_id']}/predict", json={"inputs": X.tolist()})
    assert min(predicted.json()["predictions"]) > 0  # exp output: a rate is never negative

    params = {**SMALL, "solver": "lbfgs", "max_iter": 3}
    job = submit(client, dataset["id"], task="regression", params=params)
    # resolved as the engine runs it: the whole data per iteration, no split, float64
    assert job["params"]["batch_size"] == 120 and job["params"]["early_stopping"] is False
    assert job["params"]["dtype"] == "float64"
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded" and done["converged"] is False, done
    assert done["warnings"] == [
        "lbfgs failed to converge after 3 iteration(s). Increase the number of iterations "
        "to improve the convergence (max_iter=3)."
    ]
    history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert all(h["learning_rate"] is None for h in history)
    assert (
        submit(client, dataset["id"], params={**SMALL, "dtype": "float64"})["params"]["dtype"]
        == "float64"
    )


def test_continuing_a_model_inherits_its_network_and_records_its_parent(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs(90)
    dataset = upload(client, X, y)
    parent = _model(client, settings, tenant, dataset["id"], params={**SMALL, "activation": "tanh"})
    job = submit(client, dataset["id"], init_model_id=parent, params={"max_iter": 2})
    assert job["init_model_id"] == parent and job["task"] == "classification"
    assert job["params"]["hidden_layer_sizes"] == [6] and job["params"]["activation"] == "tanh"
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded", done
    child = client.get(f"/v1/models/{done['model_id']}").json()
    assert child["parent_model_id"] == parent and child["params"]["max_iter"] == 2
    before = load_model(client.get(f"/v1/models/{parent}/export").content)
    after = load_model(client.get(f"/v1/models/{done['model_id']}/export").content)
    assert after.t_ == before.t_ + 2 * 90  # the solver's state went on: t_ counts both fits

    # another dataset of the same width with some of the classes
    some = [i for i, label in enumerate(y) if label != "red"]
    subset = upload(client, X[some], [y[i] for i in some])
    again = train(
        client, settings, tenant, submit(client, subset["id"], init_model_id=parent)["id"]
    )
    assert again["status"] == "succeeded", again


def test_a_continued_job_is_checked_against_its_model(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs(90)
    dataset = upload(client, X, y)
    parent = _model(client, settings, tenant, dataset["id"], params=SMALL)

    def refused(body: dict[str, Any], status: int, *fragments: str) -> None:
        answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], **body})
        problem = assert_problem(answer, status, *fragments)
        if status == 422:
            assert problem["errors"][0]["loc"] == ["body", "init_model_id"]

    refused({"init_model_id": "mdl_" + "0" * 24}, 404, "does not exist")
    refused({"init_model_id": "nonsense"}, 404, "does not exist")
    refused(
        {"init_model_id": parent, "params": {"hidden_layer_sizes": [7]}},
        422,
        "hidden_layer_sizes is [6], the job's [7]",
    )
    refused({"init_model_id": parent, "params": {"activation": "tanh"}}, 422, "activation")
    refused({"init_model_id": parent, "task": "regression"}, 422, "classification model")
    narrow = upload(client, X[:, :2], y)
    answer = client.post("/v1/jobs", json={"dataset_id": narrow["id"], "init_model_id": parent})
    assert_problem(answer, 422, "it takes 3 features", "has 2")
    other = upload(client, X, ["purple" if label == "red" else label for label in y])
    answer = client.post("/v1/jobs", json={"dataset_id": other["id"], "init_model_id": parent})
    assert_problem(answer, 422, "classes the model does not know: 'purple'")
    # the same values given explicitly are fine
    same = {"hidden_layer_sizes": [6], "activation": "relu", "max_iter": 1}
    assert (
        submit(client, dataset["id"], init_model_id=parent, params=same)["init_model_id"] == parent
    )


def test_a_continued_regression_keeps_its_loss(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 2)).round(3)
    dataset = _dataset(client, features=X.tolist(), targets=(X[:, 0] ** 2).round(3).tolist())
    parent = _model(
        client,
        settings,
        tenant,
        dataset["id"],
        task="regression",
        params={**SMALL, "loss": "poisson"},
    )
    job = submit(client, dataset["id"], init_model_id=parent)
    assert job["params"]["loss"] == "poisson"
    answer = client.post(
        "/v1/jobs",
        json={"dataset_id": dataset["id"], "init_model_id": parent, "params": {"loss": "huber"}},
    )
    assert_problem(answer, 422, "loss 'poisson'", "exp")
    wide = _dataset(client, features=X.tolist(), targets=np.stack([X[:, 0], X[:, 1]], 1).tolist())
    answer = client.post("/v1/jobs", json={"dataset_id": wide["id"], "init_model_id": parent})
    assert_problem(answer, 422, "predicts 1 target column(s)", "has 2")


def test_a_deleted_parent_fails_the_job_by_name(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs(60)
    dataset = upload(client, X, y)
    parent = _model(client, settings, tenant, dataset["id"], params=SMALL)
    job = submit(client, dataset["id"], init_model_id=parent)
    assert client.delete(f"/v1/models/{parent}").status_code == 204
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "failed" and done["error"]["type"] == "ModelMissing", done
    assert parent in done["error"]["message"]


def test_an_lbfgs_iteration_is_bounded_as_an_epoch_is(tenant: str, settings: Settings) -> None:
    """One lbfgs "epoch" is one full-batch evaluation: the same bound on its work."""
    tight = settings.model_copy(update={"max_epoch_work": 1e7})
    with TestClient(create_app(tight), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        X, y = blobs(400)
        dataset = upload(client, X, y)
        for hidden, status in (([4], 202), ([512, 512], 422)):
            params = {"solver": "lbfgs", "hidden_layer_sizes": hidden}
            answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], "params": params})
            assert answer.status_code == status, answer.text
        assert "MLPFORGE_MAX_EPOCH_WORK" in answer.text


class _WorkerDied(Exception):
    """Stands for a SIGKILL: the attempt stops with its checkpoint written."""


def test_a_continued_job_resumes_from_its_checkpoint_without_its_parent(
    client: TestClient, settings: Settings, tenant: str, redis_client: redis.Redis
) -> None:
    """A worker dies two epochs into a continued job; the next attempt resumes from the job's
    own checkpoint (the parent is gone by then) and ends on the uninterrupted run's weights."""
    X, y = blobs(90)
    dataset = upload(client, X, y)
    parent = _model(client, settings, tenant, dataset["id"], params={**SMALL, "shuffle": False})
    params = {"max_iter": 5, "shuffle": False, "random_state": 0}
    twin = train(
        client,
        settings,
        tenant,
        submit(client, dataset["id"], init_model_id=parent, params=params)["id"],
    )
    job_id = submit(client, dataset["id"], init_model_id=parent, params=params)["id"]

    store = Store(redis_client, tenant)
    job = store.jobs.start(job_id, lease_secs=60)  # attempt 1, as a worker takes it
    arrays = store.datasets.arrays(job.dataset_id)
    record = store.datasets.get(job.dataset_id)
    assert arrays is not None and record is not None
    trainer = trainer_for(store, job, arrays.per_row(), class_table(record, arrays.y), None)

    def on_epoch(report: Any) -> None:
        store.jobs.record_epoch(
            job_id, attempt=1, entry=dict(report), progress=0.0, checkpoint=trainer.checkpoint()
        )
        if report["epoch"] == 2:
            raise _WorkerDied

    with pytest.raises(_WorkerDied):
        trainer.run(on_epoch=on_epoch)
    store.client.delete(store.keys.job_lease(job_id))  # its lease lapses
    assert client.delete(f"/v1/models/{parent}").status_code == 204

    done = train(client, settings, tenant, job_id)
    assert done["status"] == "succeeded", done
    assert [h["epoch"] for h in client.get(f"/v1/jobs/{job_id}/metrics").json()["history"]] == [
        1, 2, 3, 4, 5
    ]  # fmt: skip
    resumed = load_model(client.get(f"/v1/models/{done['model_id']}/export").content)
    uninterrupted = load_model(client.get(f"/v1/models/{twin['model_id']}/export").content)
    for a, b in zip(resumed.coefs_, uninterrupted.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
