"""The API answers with its own public shapes, never the store's records."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from engine import EpochReport
from engine.report import EPOCH_METRICS
from mlpforge.settings import Settings
from service.schemas import EpochMetrics, HistoryEntry
from tests.service.jobs_helpers import blobs, submit, train, upload

INTERNAL = {"attempts", "queue", "size_bytes"}


def _assert_public(body: dict[str, Any]) -> None:
    assert not INTERNAL & body.keys(), sorted(INTERNAL & body.keys())


def test_datasets_jobs_and_models_show_no_internal_fields(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs()
    dataset = upload(client, X, y)
    _assert_public(dataset)
    assert {"id", "n_samples", "n_features", "feature_names", "target_kind", "classes"} <= set(
        dataset
    )
    for body in (
        client.get(f"/v1/datasets/{dataset['id']}").json(),
        client.get("/v1/datasets").json()["data"][0],
    ):
        _assert_public(body)

    job = submit(client, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 3})
    _assert_public(job)
    done = train(client, settings, tenant, job["id"])
    assert done["status"] == "succeeded", done
    for body in (done, client.get("/v1/jobs").json()["data"][0]):
        _assert_public(body)
        assert {"evaluation", "converged", "name", "tags", "warnings", "device"} <= set(body)

    model = client.get(f"/v1/models/{done['model_id']}").json()
    _assert_public(model)
    _assert_public(client.get("/v1/models").json()["data"][0])
    assert {"id", "job_id", "dataset_id", "classes", "n_parameters", "metrics", "name"} <= set(
        model
    )


def test_the_final_event_carries_the_public_job(
    client: TestClient, settings: Settings, tenant: str
) -> None:
    X, y = blobs()
    dataset = upload(client, X, y)
    job = submit(client, dataset["id"], params={"hidden_layer_sizes": [4], "max_iter": 2})
    train(client, settings, tenant, job["id"])
    text = client.get(f"/v1/jobs/{job['id']}/events").text
    status = [block for block in text.split("\n\n") if "event: status" in block][-1]
    data = orjson.loads(status.split("data: ", 1)[1])
    _assert_public(data)
    assert data == client.get(f"/v1/jobs/{job['id']}").json()


def _response_schema(document: dict[str, Any], path: str, method: str, code: str) -> str:
    content = document["paths"][path][method]["responses"][code]["content"]
    return str(content["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]


def test_the_openapi_document_shows_the_public_models(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    expected = {
        ("/v1/datasets", "post", "201"): "DatasetPublic",
        ("/v1/datasets", "get", "200"): "Page_DatasetPublic_",
        ("/v1/datasets/{dataset_id}", "get", "200"): "DatasetPublic",
        ("/v1/jobs", "post", "202"): "JobPublic",
        ("/v1/jobs", "get", "200"): "Page_JobPublic_",
        ("/v1/jobs/{job_id}", "get", "200"): "JobPublic",
        ("/v1/jobs/{job_id}", "patch", "200"): "JobPublic",
        ("/v1/jobs/{job_id}/cancel", "post", "202"): "JobPublic",
        ("/v1/jobs/{job_id}/metrics", "get", "200"): "History",
        ("/v1/models", "get", "200"): "Page_ModelPublic_",
        ("/v1/models/{model_id}", "get", "200"): "ModelPublic",
        ("/v1/models/{model_id}", "patch", "200"): "ModelPublic",
    }
    for (path, method, code), name in expected.items():
        assert _response_schema(document, path, method, code) == name, (path, method)
    schemas = document["components"]["schemas"]
    assert not {"JobRecord", "ModelRecord", "DatasetRecord"} & schemas.keys()
    for name in ("JobPublic", "ModelPublic", "DatasetPublic"):
        assert not INTERNAL & schemas[name]["properties"].keys(), name


def test_the_history_entry_names_every_field_of_the_engines_report() -> None:
    assert set(HistoryEntry.model_fields) == set(EpochReport.__annotations__)
    assert tuple(EpochMetrics.model_fields) == EPOCH_METRICS
