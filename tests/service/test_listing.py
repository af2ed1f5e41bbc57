"""Listing jobs and models: oldest or newest first over everything, by a value within a
bounded window, and filters whose cost per request is bounded."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

import service.listing
from store import JobRecord, ModelRecord, Store, pagination
from store.ids import new_id, utcnow
from tests.e2e.helpers import assert_problem


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def _job(store: Store, *, accuracy: float | None = None, tags: list[str] | None = None) -> str:
    """A job written straight to the store (never queued), finished with this accuracy."""
    job = store.jobs.new_record(
        dataset_id="ds_x",
        task="classification",
        params={},
        max_runtime_secs=60,
        tags=tags or [],
    )
    store.jobs.create(job)
    if accuracy is None:
        store.jobs.request_cancel(job.id)
        return job.id
    store.jobs.start(job.id, lease_secs=15)
    scores = {
        "n_samples": 10,
        "accuracy": accuracy,
        "balanced_accuracy": accuracy,
        "f1_macro": accuracy,
        "log_loss": 1 - accuracy,
        "roc_auc": None,
    }
    store.jobs.finish(
        job.id, status="succeeded", attempt=1, evaluation={"train": scores}, converged=True
    )
    return job.id


def _ids(client: TestClient, **params: Any) -> list[str]:
    answer = client.get("/v1/jobs", params=params)
    assert answer.status_code == 200, answer.text
    return [job["id"] for job in answer.json()["data"]]


def _all(client: TestClient, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = client.get("/v1/jobs", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        ids += [job["id"] for job in page.json()["data"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return ids


def test_newest_or_oldest_first(client: TestClient, store: Store) -> None:
    ids = [_job(store) for _ in range(5)]
    assert _all(client, limit=2) == ids[::-1]
    assert _all(client, limit=2, sort="-created_at") == ids[::-1]
    assert _all(client, limit=2, sort="created_at") == ids


def test_sorting_by_a_score_ranks_and_pages_by_offset(client: TestClient, store: Store) -> None:
    a = _job(store, accuracy=0.7)
    b = _job(store, accuracy=0.9)
    c = _job(store, accuracy=0.8)
    unscored = _job(store)
    d = _job(store, accuracy=0.9)  # ties with b: the newer first
    key = "evaluation.train.accuracy"
    assert _ids(client, sort=f"-{key}") == [d, b, c, a, unscored]  # no value: last
    assert _ids(client, sort=key) == [a, c, d, b, unscored]
    assert _all(client, sort=f"-{key}", limit=2) == [d, b, c, a, unscored]
    first = client.get("/v1/jobs", params={"sort": f"-{key}", "limit": 2}).json()
    assert first["next_cursor"] == "2"
    assert _ids(client, sort="-evaluation.train.log_loss") == [a, c, d, b, unscored]
    assert _ids(client, sort=f"-{key}", status="cancelled") == [unscored]


def test_sorting_by_a_value_ranks_only_the_most_recent_window(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    best_but_old = _job(store, accuracy=0.99)
    recent = [_job(store, accuracy=0.1 * i) for i in range(1, 4)]
    monkeypatch.setattr(service.listing, "SORT_WINDOW", 3)
    assert _ids(client, sort="-evaluation.train.accuracy") == recent[::-1]
    monkeypatch.setattr(service.listing, "SORT_WINDOW", 4)
    assert _ids(client, sort="-evaluation.train.accuracy")[0] == best_but_old


def test_a_tags_window_is_its_own(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tagged = _job(store, accuracy=0.5, tags=["mine"])
    for _ in range(3):
        _job(store, accuracy=0.9)
    monkeypatch.setattr(service.listing, "SORT_WINDOW", 2)
    assert _ids(client, sort="-evaluation.train.accuracy", tag="mine") == [tagged]


def test_a_filtered_page_reads_a_bounded_number_of_records(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = _job(store)  # cancelled
    others = [_job(store, accuracy=0.5) for _ in range(7)]
    monkeypatch.setattr(pagination, "MAX_SCAN", 3)
    first = client.get("/v1/jobs", params={"status": "cancelled", "limit": 5}).json()
    assert first["data"] == [] and first["next_cursor"] == others[-3]  # short, not the end
    assert _all(client, status="cancelled", limit=5) == [wanted]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"sort": "evaluation.train.nope"}, ["query", "sort"]),
        ({"sort": "attempts"}, ["query", "sort"]),
        ({"sort": "-metrics.loss", "cursor": "job_0193"}, ["query", "cursor"]),
        ({"sort": "-metrics.loss", "cursor": "-1"}, ["query", "cursor"]),
    ],
)
def test_bad_sorts_and_cursors_are_422(
    client: TestClient, params: dict[str, str], loc: list[str]
) -> None:
    for path in ("/v1/jobs", "/v1/models"):
        body = assert_problem(client.get(path, params=params), 422)
        assert body["errors"][0]["loc"] == loc


def test_models_sort_by_their_scores(client: TestClient, store: Store) -> None:
    models = []
    for accuracy in (0.6, 0.8, 0.7):
        job_id = _job(store, accuracy=accuracy)
        job = store.jobs.get(job_id)
        assert isinstance(job, JobRecord)
        models.append(_model(store, job))
    answer = client.get("/v1/models", params={"sort": "-evaluation.train.accuracy"}).json()
    assert [m["id"] for m in answer["data"]] == [models[1], models[2], models[0]]


def _model(store: Store, job: JobRecord) -> str:
    record = ModelRecord(
        id=new_id("mdl"),
        job_id=job.id,
        dataset_id=job.dataset_id,
        task="classification",
        n_features=2,
        hidden_layer_sizes=[2],
        activation="relu",
        n_parameters=9,
        evaluation=job.evaluation,
        dataset_sha256="",
        created_at=utcnow(),
    )
    return store.models.create(record, b"not a model").id
