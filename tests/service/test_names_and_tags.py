"""Jobs and models carry a name and tags: set at submission, inherited by the model, changed
with PATCH, filtered by with ?tag=, and bounded."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from store import Store
from tests.e2e.helpers import assert_problem
from tests.service.jobs_helpers import blobs, submit, train, upload

SMALL = {"hidden_layer_sizes": [4], "max_iter": 2, "random_state": 0}


@pytest.fixture
def dataset_id(client: TestClient) -> str:
    X, y = blobs(60)
    return str(upload(client, X, y)["id"])


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["data"]]


def _cancel(client: TestClient, job: dict[str, Any]) -> None:
    client.post(f"/v1/jobs/{job['id']}/cancel")  # nothing here trains it: finish it now


def test_name_and_tags_round_trip_and_filter(client: TestClient, dataset_id: str) -> None:
    tagged = submit(
        client, dataset_id, params=SMALL, name="first try ✓", tags=["exp:1", "base", "exp:1"]
    )
    other = submit(client, dataset_id, params=SMALL, tags=["other"])
    plain = submit(client, dataset_id, params=SMALL)
    for job in (tagged, other, plain):
        _cancel(client, job)
    assert (tagged["name"], tagged["tags"]) == ("first try ✓", ["exp:1", "base"])  # repeats dropped
    assert (plain["name"], plain["tags"]) == (None, [])
    assert client.get(f"/v1/jobs/{tagged['id']}").json()["tags"] == ["exp:1", "base"]
    assert _ids(client.get("/v1/jobs", params={"tag": "exp:1"}).json()) == [tagged["id"]]
    assert _ids(client.get("/v1/jobs", params={"tag": "other"}).json()) == [other["id"]]
    assert _ids(client.get("/v1/jobs", params={"tag": "nobody"}).json()) == []
    both = {"tag": "base", "status": "cancelled", "dataset_id": dataset_id}
    assert _ids(client.get("/v1/jobs", params=both).json()) == [tagged["id"]]
    assert _ids(client.get("/v1/jobs", params={**both, "status": "queued"}).json()) == []


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"name": "x" * 201}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "two\nlines"}, ["body", "name"]),
        ({"tags": [f"t{i}" for i in range(21)]}, ["body", "tags"]),
        ({"tags": ["x" * 65]}, ["body", "tags", 0]),
        ({"tags": ["ok", "not ok"]}, ["body", "tags", 1]),
        ({"tags": ["semi;colon"]}, ["body", "tags", 0]),
        ({"tags": [""]}, ["body", "tags", 0]),
        ({"tags": "single"}, ["body", "tags"]),
        ({"tags": [7]}, ["body", "tags", 0]),
    ],
)
def test_bad_names_and_tags_are_422_naming_the_field(
    client: TestClient, dataset_id: str, extra: dict[str, Any], loc: list[Any]
) -> None:
    answer = client.post("/v1/jobs", json={"dataset_id": dataset_id, **extra})
    body = assert_problem(answer, 422)
    assert body["errors"][0]["loc"] == loc, body


def test_the_limits_themselves_are_accepted(client: TestClient, dataset_id: str) -> None:
    job = submit(
        client,
        dataset_id,
        params=SMALL,
        name="n" * 200,
        tags=[f"{i:02d}" + "t" * 62 for i in range(20)],
    )
    _cancel(client, job)
    assert len(job["name"]) == 200 and len(job["tags"]) == 20


@pytest.mark.parametrize("tag", ["has space", "x" * 65, "", "é"])
def test_a_bad_tag_filter_is_422(client: TestClient, tag: str) -> None:
    for path in ("/v1/jobs", "/v1/models"):
        body = assert_problem(client.get(path, params={"tag": tag}), 422)
        assert body["errors"][0]["loc"] == ["query", "tag"]


def test_patch_renames_and_retags_a_job(client: TestClient, dataset_id: str) -> None:
    job = submit(client, dataset_id, params=SMALL, name="old", tags=["a", "b"])
    _cancel(client, job)
    path = f"/v1/jobs/{job['id']}"
    retagged = client.patch(path, json={"tags": ["b", "c"]}).json()
    assert (retagged["name"], retagged["tags"]) == ("old", ["b", "c"])  # name left as it was
    assert _ids(client.get("/v1/jobs", params={"tag": "a"}).json()) == []
    assert _ids(client.get("/v1/jobs", params={"tag": "c"}).json()) == [job["id"]]
    renamed = client.patch(path, json={"name": "new"}).json()
    assert (renamed["name"], renamed["tags"]) == ("new", ["b", "c"])
    cleared = client.patch(path, json={"name": None, "tags": []}).json()
    assert (cleared["name"], cleared["tags"]) == (None, [])
    assert _ids(client.get("/v1/jobs", params={"tag": "b"}).json()) == []
    assert client.get(path).json()["name"] is None
    body = assert_problem(client.patch(path, json={"attempts": 9}), 422)
    assert body["errors"][0]["loc"] == ["body", "attempts"]
    body = assert_problem(client.patch(path, json={"tags": ["a b"]}), 422)
    assert body["errors"][0]["loc"] == ["body", "tags", 0]
    assert_problem(client.patch("/v1/jobs/job_00000000000000000000abcd", json={}), 404)


def test_the_model_inherits_the_jobs_name_and_tags(
    client: TestClient, settings: Settings, tenant: str, dataset_id: str
) -> None:
    job = submit(client, dataset_id, params=SMALL, name="before", tags=["keep"])
    # changed while queued: the model gets the name and tags the job has when it is published
    client.patch(f"/v1/jobs/{job['id']}", json={"name": "winner", "tags": ["keep", "best"]})
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded", done
    model = client.get(f"/v1/models/{done['model_id']}").json()
    assert (model["name"], model["tags"]) == ("winner", ["keep", "best"])
    assert _ids(client.get("/v1/models", params={"tag": "best"}).json()) == [model["id"]]
    assert _ids(client.get("/v1/models", params={"job_id": job["id"]}).json()) == [model["id"]]
    assert _ids(client.get("/v1/models", params={"job_id": "job_x"}).json()) == []

    patched = client.patch(f"/v1/models/{model['id']}", json={"tags": ["prod"]}).json()
    assert (patched["name"], patched["tags"]) == ("winner", ["prod"])
    assert _ids(client.get("/v1/models", params={"tag": "best"}).json()) == []
    assert _ids(client.get("/v1/models", params={"tag": "prod"}).json()) == [model["id"]]
    # the job keeps its own
    assert client.get(f"/v1/jobs/{job['id']}").json()["tags"] == ["keep", "best"]

    assert client.delete(f"/v1/models/{model['id']}").status_code == 204
    assert _ids(client.get("/v1/models", params={"tag": "prod"}).json()) == []
    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204
    assert _ids(client.get("/v1/jobs", params={"tag": "keep"}).json()) == []


def test_deleting_a_job_empties_its_tag_indexes(
    client: TestClient, redis_client: redis.Redis, tenant: str, dataset_id: str
) -> None:
    job = submit(client, dataset_id, params=SMALL, tags=["gone"])
    _cancel(client, job)
    keys = Store(redis_client, tenant).keys
    assert redis_client.zcard(keys.job_tag_index("gone")) == 1
    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204
    assert redis_client.zcard(keys.job_tag_index("gone")) == 0
