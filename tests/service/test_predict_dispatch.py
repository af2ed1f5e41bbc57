"""Predict is matched before any router is scanned, by a twin of its documented route."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.routers.models import PredictRoute, prediction_router

PATH = "/v1/models/{model_id}/predict"


def test_predicts_undocumented_twin_comes_before_every_router(client: TestClient) -> None:
    routes = client.app.router.routes  # type: ignore[attr-defined]
    twins = [i for i, route in enumerate(routes) if isinstance(route, PredictRoute)]
    routers = [i for i, route in enumerate(routes) if type(route).__name__ == "_IncludedRouter"]
    assert len(twins) == 1 and routers and twins[0] < min(routers)
    first = routes[twins[0]]
    documented = next(route for route in prediction_router.routes if route.path.endswith("predict"))  # type: ignore[attr-defined]
    assert isinstance(first, PredictRoute) and isinstance(documented, PredictRoute)
    assert first.path == PATH and first.methods == {"POST"} == documented.methods
    assert first.endpoint is documented.endpoint
    assert first.include_in_schema is False
    operations = [
        (path, method)
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method, operation in item.items()
        if operation.get("operationId") == "predict"
    ]
    assert operations == [(PATH, "post")]


def test_other_methods_on_predict_are_still_405(client: TestClient) -> None:
    answer = client.get("/v1/models/mdl_0123456789abcdef01234567/predict")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.headers["x-request-id"]


def test_predict_errors_are_problems_with_the_usual_headers(client: TestClient) -> None:
    answer = client.post("/v1/models/mdl_0123456789abcdef01234567/predict", json={"inputs": [[1]]})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-request-id"]
    unkeyed = client.post(
        "/v1/models/mdl_0123456789abcdef01234567/predict",
        json={"inputs": [[1]]},
        headers={"Authorization": ""},
    )
    assert unkeyed.status_code == 401
