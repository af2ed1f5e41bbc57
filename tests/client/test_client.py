"""mlpforge.client.Client and AsyncClient against the real stack."""

from __future__ import annotations

import asyncio
import struct

import numpy as np
import pytest

from mlpforge.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    ConflictError,
    Dataset,
    Job,
    JobFailedError,
    NotFoundError,
    ValidationError,
    WaitTimeoutError,
)
from tests.client.conftest import blobs

PARAMS = {"hidden_layer_sizes": [8], "max_iter": 15, "learning_rate_init": 0.05, "random_state": 0}


def test_upload_train_wait_predict(client: Client) -> None:
    X, y = blobs()
    dataset = client.upload_dataset(X, y, name="blobs", feature_names=["a", "b", "c"])
    assert isinstance(dataset, Dataset)
    assert (dataset.n_samples, dataset.n_features) == (90, 3)
    assert dataset.feature_names == ["a", "b", "c"]
    assert sorted(dataset.classes or []) == ["blue", "green", "red"]
    assert client.get_dataset(dataset.id).sha256 == dataset.sha256

    job = client.train(dataset, "classification", PARAMS, idempotency_key=f"k-{dataset.id}")
    assert isinstance(job, Job) and job.status in {"queued", "running"}
    # Same Idempotency-Key, same body: the same job.
    again = client.train(dataset, "classification", PARAMS, idempotency_key=f"k-{dataset.id}")
    assert again.id == job.id

    done = client.wait(job.id, timeout=120, raise_on_failure=True)
    assert done.status == "succeeded" and done.model_id
    assert done.params["max_iter"] == 15 and done.params["batch_size"] == 90  # resolved
    history = client.job_metrics(job.id)
    assert [entry.epoch for entry in history] == list(range(1, done.epoch + 1))

    labels = client.predict(done.model_id, X[:10])
    assert labels.dtype.kind == "U" and list(labels) == list(y[:10])
    proba = client.predict_proba(done.model_id, X[:10])
    assert proba.shape == (10, 3) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    full = client.predict_full(done.model_id, X[:10])
    assert list(full.classes) == ["blue", "green", "red"]  # type: ignore[arg-type]

    model = client.get_model(done.model_id)
    assert model.n_features == 3 and model.job_id == job.id
    assert done.model_id in [m.id for m in client.list_models(limit=50)]
    blob = client.export(done.model_id, "safetensors")
    (header_len,) = struct.unpack("<Q", blob[:8])
    assert blob[8:9] == b"{" and 8 + header_len <= len(blob)

    assert job.id in [j.id for j in client.list_jobs(dataset_id=dataset.id)]
    assert job.id in [j.id for j in client.list_jobs(status="succeeded", limit=100)]
    client.delete_job(job.id)
    with pytest.raises(NotFoundError):
        client.get_job(job.id)
    client.delete_model(done.model_id)
    client.delete_dataset(dataset.id)
    with pytest.raises(NotFoundError):
        client.get_dataset(dataset.id)


def test_events_one_progress_per_epoch_then_status(client: Client) -> None:
    X, y = blobs(seed=1)
    dataset = client.upload_dataset(X, y, format="json")
    job = client.train(dataset.id, params=PARAMS)
    events = list(client.events(job.id, timeout=120))
    progress, final = events[:-1], events[-1]
    assert final.event == "status" and final.job is not None
    assert final.job.status == "succeeded"
    assert [e.event for e in progress] == ["progress"] * final.job.epoch
    assert [e.entry.epoch for e in progress if e.entry] == list(range(1, final.job.epoch + 1))
    assert all(e.id for e in progress)

    # Resumed after the third event (Last-Event-ID): exactly the rest.
    rest = list(client.events(job.id, last_event_id=progress[2].id))
    assert [e.id for e in rest[:-1]] == [e.id for e in progress[3:]]
    assert rest[-1].final and rest[-1].job is not None and rest[-1].job.id == job.id


def test_errors_carry_the_problem(client: Client, api_server: str) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.get_job("job_0000000000000000000000000")
    assert missing.value.status == 404
    assert "does not exist" in missing.value.detail
    assert missing.value.type.startswith("http") and missing.value.title

    with pytest.raises(NotFoundError, match="does not exist"):
        client.train("ds_0000000000000000000000000", "classification")

    X, y = blobs(n=30, seed=2)
    dataset = client.upload_dataset(X, y)
    with pytest.raises(ValidationError) as invalid:
        client.train(dataset.id, params={"max_iter": 0, "no_such_param": 1})
    assert invalid.value.status == 422
    locs = [loc for loc, _ in invalid.value.error_lines()]
    assert any("max_iter" in loc or "no_such_param" in loc for loc in locs), locs

    job = client.wait(client.train(dataset.id, params=PARAMS), timeout=120)
    with pytest.raises(ConflictError) as conflict:
        client.cancel_job(job.id)
    assert conflict.value.status == 409

    with Client(api_server, "not-a-key") as stranger, pytest.raises(AuthenticationError) as auth:
        stranger.list_datasets(limit=1).first_page()
    assert auth.value.status == 401 and "not valid" in auth.value.detail

    assert client.health()["status"] == "ok"
    ready = client.readiness()
    assert ready.ready and ready.redis == "ok" and ready.workers >= 1


def test_listings_follow_the_cursor(client: Client) -> None:
    X, y = blobs(n=12, seed=3)
    ids = [client.upload_dataset(X, y, name=f"page-{i}").id for i in range(3)]
    pager = client.list_datasets(limit=3, page_size=1)
    pages = list(pager.pages())
    assert len(pages) == 3 and all(len(page.data) == 1 for page in pages)
    assert [d.id for d in client.list_datasets(limit=3, page_size=2)] == ids[::-1]
    everything = [d.id for d in client.list_datasets(page_size=2)]
    assert everything[:3] == ids[::-1]
    for dataset_id in ids:
        client.delete_dataset(dataset_id)


def test_async_client(api_server: str, key: str, client: Client) -> None:
    X, y = blobs(n=60, seed=4)

    async def scenario() -> None:
        async with AsyncClient(api_server, key, timeout=30) as api:
            dataset = await api.upload_dataset(X, y.tolist(), name="async")
            job = await api.train(dataset.id, "classification", PARAMS)
            events = [event async for event in api.events(job.id, timeout=120)]
            assert events[-1].final and events[-1].job is not None
            assert len(events) == events[-1].job.epoch + 1
            done = await api.wait(job.id, timeout=30)
            assert done.succeeded and done.model_id
            labels = await api.predict(done.model_id, X[:5])
            assert list(labels) == list(y[:5])
            listed = [j.id async for j in api.list_jobs(dataset_id=dataset.id)]
            assert listed == [job.id]
            with pytest.raises(NotFoundError):
                await api.get_model("mdl_0000000000000000000000000")

    asyncio.run(scenario())


def test_wait_times_out_and_cancel_stops_the_job(client: Client) -> None:
    X, y = blobs(seed=9)
    dataset = client.upload_dataset(X, y)
    slow = {"hidden_layer_sizes": [64, 64], "max_iter": 5000, "batch_size": 1, "tol": 0.0,
            "n_iter_no_change": 5000}  # fmt: skip
    job = client.train(dataset.id, "classification", slow)
    with pytest.raises(WaitTimeoutError) as waited:
        client.wait(job.id, timeout=1.0)
    assert waited.value.job is not None and not waited.value.job.finished
    assert client.cancel_job(job.id).id == job.id
    with pytest.raises(JobFailedError) as stopped:
        client.wait(job.id, timeout=60, raise_on_failure=True)
    assert stopped.value.job.status == "cancelled"
