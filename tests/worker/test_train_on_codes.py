"""A worker trains on a dataset's class codes and publishes a model that answers in its labels."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
import redis

from engine import FittedModel, MLPParams, load_model
from mlpforge.settings import Settings
from service.ingest import IngestLimits, parse_json_dataset
from store import Store
from worker.training import run_job

LABELS = ["setosa", "versicolor", "v" * 256]


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(redis_url=redis_url)


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _upload(store: Store, targets: list[object]) -> str:
    """What POST /v1/datasets does: parse, then store the codes and the class table."""
    rng = np.random.default_rng(0)
    n = len(targets)
    X = rng.normal(size=(n, 3)) + np.arange(n)[:, None] % 3
    body = {"features": X.tolist(), "targets": targets}
    dataset, _ = parse_json_dataset(orjson.dumps(body), limits=IngestLimits())
    return store.datasets.create(
        X=dataset.X,
        y=dataset.y,
        name=None,
        feature_names=dataset.feature_names,
        target_name=None,
        target_kind=dataset.target_kind,
        classes=dataset.classes,
    ).id


def _run(store: Store, settings: Settings, dataset_id: str, task: str) -> tuple[FittedModel, str]:
    params = MLPParams(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    job = store.jobs.new_record(
        dataset_id=dataset_id,
        task=task,  # type: ignore[arg-type]
        params=params.resolve(task, 60).to_dict(),  # type: ignore[arg-type]
        max_runtime_secs=60,
    )
    job_id = store.jobs.create(job).id
    run_job(store.tenant, job_id, settings)
    done = store.jobs.get(job_id)
    assert done is not None and done.status == "succeeded", done
    assert done.model_id is not None
    blob = store.models.blob(done.model_id)
    assert blob is not None
    return load_model(blob), done.model_id


def test_string_labels_stored_as_codes_come_back_as_labels(
    store: Store, settings: Settings
) -> None:
    dataset_id = _upload(store, [LABELS[i % 3] for i in range(60)])
    arrays = store.datasets.arrays(dataset_id)
    assert arrays is not None and arrays[1].dtype == np.uint8  # stored as codes
    model, model_id = _run(store, settings, dataset_id, "classification")
    assert model.classes_ is not None and model.classes_.tolist() == sorted(LABELS)
    predictions = model.predict(np.zeros((2, 3))).tolist()
    assert all(p in LABELS for p in predictions)
    record = store.models.get(model_id)
    assert record is not None and record.classes == sorted(LABELS)


def test_regression_on_integer_classes_trains_on_their_values(
    store: Store, settings: Settings
) -> None:
    values = [10, 20, 40]
    dataset_id = _upload(store, [values[i % 3] for i in range(60)])
    model, _ = _run(store, settings, dataset_id, "regression")
    assert model.classes_ is None
    # trained on 10/20/40 (standardized), not on the codes 0/1/2
    assert model.y_mean_ is not None and 20 < float(model.y_mean_[0]) < 25
