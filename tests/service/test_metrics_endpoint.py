"""GET /metrics in one process (no multiprocess folder): no key, parseable, templates only."""

from __future__ import annotations

import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from store import Store
from tests.trained_models import features, publish, train

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(client: TestClient, **headers: str) -> Samples:
    answer = client.get("/metrics", headers={"Authorization": "", **headers})
    assert answer.status_code == 200, answer.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def test_metrics_count_both_protocols_by_template(
    client: TestClient, redis_client: redis.Redis, tenant: str
) -> None:
    model_id = publish(Store(redis_client, tenant), train("binary"))
    X = features(n=4)
    before = samples(client)
    assert client.post(f"/v1/models/{model_id}/predict", json={"inputs": X.tolist()}).is_success
    body = {"inputs": [{"name": "input", "shape": [4, 3], "datatype": "FP32", "data": X.tolist()}]}
    assert client.post(f"/v2/models/{model_id}/infer", json=body).is_success
    after = samples(client)

    def gained(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert gained("mlpforge_prediction_rows_total", protocol="v1") == 4
    assert gained("mlpforge_prediction_rows_total", protocol="v2") == 4
    route = "/v2/models/{model_id}/infer"
    assert gained("mlpforge_http_requests_total", method="POST", route=route, status="200") == 1
    assert after[("mlpforge_redis_up", frozenset())] == 1
    assert not any(model_id in value for _, labels in after for _, value in labels)
    # This process's own collectors (CPU, memory) come along in single-process mode.
    assert any(name.startswith("process_") for name, _ in after)


def test_metrics_speak_openmetrics_when_asked(client: TestClient) -> None:
    answer = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    assert answer.text.rstrip().endswith("# EOF")
