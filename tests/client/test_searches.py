"""Searches from Python and the command line: the client's methods, RemoteSearchCV in
scikit-learn's shapes, and `mlpforge search`, against the real stack."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from mlpforge.client import Client, ConflictError, NotFoundError, ValidationError
from mlpforge.remote import RemoteMLPClassifier
from mlpforge.remote_search import RemoteSearchCV
from tests.client.conftest import CLI, blobs

SMALL = {"hidden_layer_sizes": [8], "max_iter": 8, "learning_rate_init": 0.05, "random_state": 0}


def test_the_clients_search_methods(client: Client) -> None:
    X, y = blobs(seed=2)
    dataset = client.upload_dataset(X, y)
    body = {"dataset_id": dataset.id, "params": SMALL, "strategy": "grid",
            "space": {"alpha": [0.0001, 0.01, 0.1]}, "max_parallel": 2}  # fmt: skip
    search = client.create_search(body, idempotency_key="client-search")
    assert client.create_search(body, idempotency_key="client-search").id == search.id
    events = list(client.search_events(search))
    assert [e.event for e in events] == ["trial"] * 3 + ["status"] and events[-1].final
    done = client.get_search(search.id)
    assert done.status == "succeeded" and done.best_model_id is not None
    assert done.trials["succeeded"] == 3 and done.best_params == done.leaderboard[0]["params"]
    assert {job.search_id for job in client.list_jobs(search_id=search.id)} == {search.id}
    assert search.id in [s.id for s in client.list_searches(limit=50)]
    labels = client.predict(done.best_model_id, X[:3])
    assert labels.shape == (3,)
    with pytest.raises(ConflictError):
        client.cancel_search(search)
    with pytest.raises(ValidationError) as bad:
        client.create_search({**body, "space": {"alpha": [0.1, -3]}})
    assert "alpha=-3" in str(bad.value)
    client.delete_search(search)
    with pytest.raises(NotFoundError):
        client.get_search(search.id)


def test_remote_search_cv_answers_in_scikit_learns_shapes(api_server: str, key: str) -> None:
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    X_train, X_test, y_train, y_test = train_test_split(X, names, random_state=0, stratify=y)
    estimator = RemoteMLPClassifier(
        hidden_layer_sizes=(16,), max_iter=30, random_state=0, url=api_server, api_key=key
    )
    search = RemoteSearchCV(
        estimator,
        {"alpha": loguniform(1e-5, 1e-1), "learning_rate_init": [0.01, 0.05]},
        n_iter=4,
        cv=3,
        scoring="neg_log_loss",
        random_state=0,
        max_parallel=2,
    )
    assert search.fit(X_train, y_train) is search
    results = search.cv_results_
    assert len(results["params"]) == 4 and set(search.best_params_) == {
        "alpha",
        "learning_rate_init",
    }
    assert search.best_score_ == np.nanmax(results["mean_test_score"]) < 0  # neg_log_loss
    assert results["rank_test_score"][search.best_index_] == 1
    assert results["params"][search.best_index_] == search.best_params_
    splits = np.array([results[f"split{i}_test_score"] for i in range(3)])
    assert np.allclose(splits.mean(axis=0), results["mean_test_score"])
    assert list(results["param_alpha"]) == [p["alpha"] for p in results["params"]]
    assert search.best_estimator_.alpha == search.best_params_["alpha"]
    assert set(search.predict(X_test)) <= set(names)
    assert search.predict_proba(X_test).shape == (len(X_test), 3)
    assert search.score(X_test, y_test) > 0.8


@pytest.mark.slow
def test_the_search_command(mlpforge: CLI, client: Client, tmp_path: Path) -> None:
    X, y = blobs(seed=4)
    dataset = client.upload_dataset(X, y)
    started = mlpforge(
        "search", "create", dataset.id, "--strategy", "grid", "-p", "hidden_layer_sizes=[8]",
        "-p", "max_iter=6", "-s", "alpha=0.0001,0.1", "-s", "activation=[\"relu\",\"tanh\"]",
        "--max-parallel", "2", "--name", "cli search", "--follow",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert "trial 0 succeeded" in started.stderr  # piped: one line per trial
    search_id = started.stdout.split()[1]
    assert f"Search {search_id} succeeded" in started.stdout
    shown = mlpforge("search", "show", search_id, "--json")
    search = json.loads(shown.stdout)
    assert search["n_candidates"] == 4 and search["space"]["alpha"] == [0.0001, 0.1]
    table = mlpforge("search", "show", search_id)
    assert "OBJECTIVE" in table.stdout and search["leaderboard"][0]["job_id"] in table.stdout
    assert search_id in mlpforge("search", "ls").stdout
    cancelled = mlpforge("search", "cancel", search_id)
    assert cancelled.returncode == 1 and "already finished" in cancelled.stderr
    removed = mlpforge("search", "rm", search_id)
    assert removed.returncode == 0 and removed.stdout == f"Deleted {search_id}\n"
    assert mlpforge("search", "show", search_id).returncode == 1
    none = mlpforge("search", "ls", "--status", "no-such-status")
    assert none.returncode == 0 and none.stderr == "No searches.\n"
    bad = mlpforge("search", "create", dataset.id, "-s", "alpha=-1")
    assert bad.returncode == 1 and "alpha=-1" in bad.stderr
