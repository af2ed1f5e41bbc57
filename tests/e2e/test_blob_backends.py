"""The same end-to-end run on each blob store (MLPFORGE_BLOB_URL): Redis, a folder shared by
the processes, and a real S3-compatible server. A real uvicorn API and real Celery workers of
their own, with their own Redis: upload an MNIST-like uint8 .npz, train, predict, export,
delete; and a worker SIGKILLed mid-fit whose job another worker resumes, bit for bit.

The folder and S3 runs are marked slow (they start processes of their own); `make test` runs
them all."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import redis

from engine import load_model
from mlpforge.redis_server import RedisServer, free_port
from store.keys import TenantKeys
from tests.blob_servers import BlobBackend, S3Server, backend
from tests.e2e.helpers import stored, submit, wait_for
from tests.processes import Process, start_api, start_worker

TENANT, KEY = "blobs", "key-blobs-0123456789"
HEADERS = {"Authorization": f"Bearer {KEY}"}
PARAMS = {
    "hidden_layer_sizes": [64, 32],
    "batch_size": 32,
    "max_iter": 12,
    "n_iter_no_change": 1000,
    "random_state": 7,
}
KINDS = [
    "redis",
    pytest.param("file", marks=pytest.mark.slow),
    pytest.param("s3", marks=pytest.mark.slow),
]


def _backend(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> BlobBackend:
    s3: S3Server | None = request.getfixturevalue("s3_server") if kind == "s3" else None
    return backend(kind, tmp_path / "blobs", s3)


def _pixels(rows: int = 3000, width: int = 64) -> bytes:
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, size=(rows, width), dtype=np.uint8)
    y = (X[:, :4].astype(int).sum(axis=1) > 510).astype(np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y)
    return buffer.getvalue()


class Stack:
    """A private Redis, an API and a worker, all with one blob store's settings."""

    def __init__(self, blobs: BlobBackend, folder: Path) -> None:
        self.blobs = blobs
        self.redis = RedisServer(data_dir=folder / "redis").start()
        self.procs: list[Process] = []
        try:
            api, self.base = start_api(
                self.redis.url,
                name=f"api-{blobs.kind}",
                MLPFORGE_API_KEYS=f"{TENANT}:{KEY}",
                **blobs.env,
            )
            self.procs.append(api)
        except BaseException:
            self.close()
            raise

    def worker(self, name: str, **env: str) -> Process:
        proc = start_worker(
            self.redis.url, name=f"{name}-{self.blobs.kind}", **self.blobs.env, **env
        )
        self.procs.append(proc)
        return proc

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=HEADERS, timeout=60)

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()
        self.redis.close()


@pytest.fixture(params=KINDS)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(_backend(request.param, tmp_path, request), tmp_path)
    yield running
    running.close()


def test_upload_train_predict_export_delete(stack: Stack) -> None:
    stack.worker("worker")
    r = redis.Redis.from_url(stack.redis.url)
    keys = TenantKeys(TENANT)
    external = stack.blobs.open()
    with stack.client() as client:
        answer = client.post("/v1/datasets", files={"file": ("pixels.npz", _pixels())})
        assert answer.status_code == 201, answer.text
        dataset = answer.json()
        assert dataset["dtype"] == "uint8"
        x_key = keys.dataset_x(dataset["id"])
        # Redis holds the dataset's arrays only when it is the blob store.
        assert bool(r.exists(x_key)) == (stack.blobs.kind == "redis")
        if external is not None:
            assert external.get(x_key) is not None

        job = wait_for(client, submit(client, dataset["id"], params=PARAMS)["id"])
        assert job["status"] == "succeeded", job
        model_id = job["model_id"]
        rows = np.random.default_rng(0).integers(0, 256, size=(5, 64)).tolist()
        predicted = client.post(f"/v1/models/{model_id}/predict", json={"inputs": rows})
        assert predicted.status_code == 200, predicted.text
        assert len(predicted.json()["predictions"]) == 5
        exported = client.get(f"/v1/models/{model_id}/export", params={"format": "safetensors"})
        assert exported.status_code == 200
        model = load_model(exported.content)
        probabilities = np.asarray(predicted.json()["probabilities"])
        assert np.allclose(model.predict_proba(np.asarray(rows)), probabilities)
        if external is not None:
            assert external.get(keys.model_blob(model_id)) is not None
            assert not r.exists(keys.model_blob(model_id))

        assert client.delete(f"/v1/models/{model_id}").status_code == 204
        assert (
            client.post(f"/v1/models/{model_id}/predict", json={"inputs": rows}).status_code == 404
        )
        assert client.delete(f"/v1/datasets/{dataset['id']}").status_code == 204
        assert client.get(f"/v1/datasets/{dataset['id']}").status_code == 404
        assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204
    if external is not None:  # nothing of theirs is left in the blob store
        assert external.list(keys.prefix) == []
    assert r.keys(f"{keys.prefix}:dataset:*") == [] and r.keys(f"{keys.prefix}:model:*") == []


def test_sigkill_mid_fit_then_resume_is_exact(stack: Stack) -> None:
    lease = {"MLPFORGE_LEASE_SECS": "3"}
    with stack.client() as client:
        answer = client.post("/v1/datasets", files={"file": ("pixels.npz", _pixels())})
        assert answer.status_code == 201, answer.text
        dataset_id = answer.json()["id"]
        doomed = stack.worker("doomed", **lease)
        job = submit(client, dataset_id, params=PARAMS)
        deadline = time.monotonic() + 120
        try:
            while client.get(f"/v1/jobs/{job['id']}").json()["epoch"] < 3:
                assert time.monotonic() < deadline, "the job never reached epoch 3"
                time.sleep(0.02)
        finally:
            doomed.kill()  # SIGKILL to the worker's process group, mid-fit
        stack.worker("rescuer", **lease)
        done = wait_for(client, job["id"], timeout=180)
        assert done["status"] == "succeeded", done
        assert stored(stack.redis.url, job["id"], TENANT).attempts == 2
        history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
        assert [h["epoch"] for h in history] == list(range(1, PARAMS["max_iter"] + 1))

        # The same job, uninterrupted, on the same worker: the same weights, bit for bit.
        again = wait_for(client, submit(client, dataset_id, params=PARAMS)["id"])
        assert again["status"] == "succeeded", again
        first = client.get(f"/v1/models/{done['model_id']}/export").content
        second = client.get(f"/v1/models/{again['model_id']}/export").content
        for (w1, b1), (w2, b2) in zip(
            load_model(first).layers(), load_model(second).layers(), strict=True
        ):
            assert np.array_equal(w1, w2) and np.array_equal(b1, b2)
    external = stack.blobs.open()
    if external is not None:  # the finished jobs' checkpoints were removed with them
        keys = TenantKeys(TENANT)
        assert external.list(f"{keys.prefix}:job") == []


def test_an_unreachable_blob_store_is_a_503_and_keeps_the_secret(tmp_path: Path) -> None:
    """S3 down (nothing listens at its endpoint): an upload answers 503 with Retry-After
    within seconds (a bounded retry, not obstore's 3 minutes), stores no record, and neither
    the answer nor the API's log shows the secret key."""
    secret = "s3-secret-never-shown-0123456789"
    dead = BlobBackend(
        "s3",
        {
            "MLPFORGE_BLOB_URL": "s3://nowhere/prefix",
            "MLPFORGE_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
            "MLPFORGE_S3_REGION": "us-east-1",
            "MLPFORGE_S3_ACCESS_KEY_ID": "id",
            "MLPFORGE_S3_SECRET_ACCESS_KEY": secret,
        },
    )
    stack = Stack(dead, tmp_path)
    try:
        with stack.client() as client:
            started = time.monotonic()
            answer = client.post(
                "/v1/datasets",
                files={"file": ("pixels.npz", _pixels(rows=200), "application/octet-stream")},
            )
            took = time.monotonic() - started
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.headers["retry-after"] == "2"
            assert "blob store" in answer.json()["detail"]
            assert took < 60, f"the upload waited {took:.0f} s for a dead store"
            assert client.get("/v1/datasets").json()["data"] == []
        log = stack.procs[0].log()
        assert "blob store unavailable" in log
        assert secret not in log and secret not in answer.text
    finally:
        stack.close()
