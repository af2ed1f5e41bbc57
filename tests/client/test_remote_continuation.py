"""The Python client over the service's sample weights, multi-column targets and continued
training: ``sample_weight`` is uploaded with the data, ``warm_start`` continues the last model."""

from __future__ import annotations

import numpy as np

from mlpforge.client import Client
from mlpforge.remote import RemoteMLPClassifier, RemoteMLPRegressor
from tests.client.conftest import blobs


def test_sample_weight_and_warm_start(client: Client, api_server: str, key: str) -> None:
    X, y = blobs(120)
    weights = np.where(y == "red", 3.0, 1.0)
    clf = RemoteMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=5, random_state=0, warm_start=True, url=api_server,
        api_key=key, keep_data=True,
    )  # fmt: skip
    clf.fit(X, y, sample_weight=weights)
    first = clf.model_id_
    dataset = client.get_dataset(clf.dataset_id_)
    assert dataset.to_dict()["has_weights"] is True
    assert clf.job_.evaluation is not None and clf.job_.evaluation["train"]["weighted"] is True
    clf.fit(X, y)  # warm_start: continues the first model
    assert client.get_job(clf.job_id_).to_dict()["init_model_id"] == first
    assert client.get_model(clf.model_id_).to_dict()["parent_model_id"] == first


def test_multi_output_regression_and_multilabel(client: Client, api_server: str, key: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    Y = np.stack([X[:, 0] * 2 + 1, X[:, 1] - X[:, 2]], axis=1)
    reg = RemoteMLPRegressor(
        hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.01, random_state=0,
        url=api_server, api_key=key,
    ).fit(X, Y)  # fmt: skip
    assert reg.predict(X[:5]).shape == (5, 2) and reg.n_outputs_ == 2
    labels = (X > 0).astype(int)
    dataset = client.upload_dataset(X, labels)
    assert dataset.target_kind == "categorical" and dataset.to_dict()["n_targets"] == 3
    job = client.wait(client.train(dataset.id, params={"max_iter": 5}).id)
    assert job.succeeded and job.model_id is not None
    predicted = client.predict(job.model_id, X[:4])
    assert np.asarray(predicted).shape == (4, 3)
