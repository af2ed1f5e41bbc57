"""GET /metrics against real processes: two uvicorn workers in multiprocess mode, a real
Celery worker, real traffic; parsed by prometheus-client's own parser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from mlpforge.redis_server import RedisServer
from tests.e2e.helpers import submit, upload_json, wait_for
from tests.processes import Process, start_api

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

PREDICT_ROUTE = "/v1/models/{model_id}/predict"


def scrape(base: str) -> tuple[str, Samples]:
    # A new connection each time, so that the scrapes land on either uvicorn worker.
    answer = httpx.get(f"{base}/metrics", headers={"Connection": "close"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return answer.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def predictions_in(path: Path) -> float:
    """The predict requests one API process counted, read from its own file."""
    for metric in MultiProcessCollector.merge([str(path)], accumulate=False):
        for sample in metric.samples:
            if sample.labels.get("route") == PREDICT_ROUTE and sample.name.endswith("_total"):
                return sample.value
    return 0.0


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


@pytest.fixture
def two_process_api(
    redis_url: str, api_keys: dict[str, str], tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "prometheus"
    keys = ",".join(f"{tenant}:{key}" for tenant, key in api_keys.items())
    proc, base = start_api(
        redis_url, name="metrics-api", workers=2,
        MLPFORGE_API_KEYS=keys, PROMETHEUS_MULTIPROC_DIR=str(folder),
    )  # fmt: skip
    yield base, folder
    proc.stop()


def test_one_scrape_sees_every_api_process_and_the_fleet(
    two_process_api: tuple[str, Path], api_keys: dict[str, str], worker: Process
) -> None:
    base, folder = two_process_api
    _, before = scrape(base)
    headers = {"Authorization": f"Bearer {api_keys['alice']}", "Connection": "close"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as alice:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(120, 4))
        dataset = upload_json(alice, X, (X[:, 0] > 0).astype(int).tolist())
        params = {"hidden_layer_sizes": [8], "max_iter": 12, "random_state": 0}
        job = submit(alice, dataset["id"], task="classification", params=params)
        done = wait_for(alice, job["id"])
        assert done["status"] == "succeeded", done
        model_id = done["model_id"]
    requests, rows = 24, 3
    for _ in range(requests):  # one connection each: spread over both processes
        answer = httpx.post(
            f"{base}/v1/models/{model_id}/predict",
            json={"inputs": X[:rows].tolist()},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
    assert httpx.get(f"{base}/v1/models/mdl_nothere", headers=headers).status_code == 404
    assert httpx.get(f"{base}/no/such/{model_id}").status_code == 404

    # Both processes answered predictions (each wrote its own file); every scrape sums them.
    per_process = [predictions_in(path) for path in folder.glob("counter_*.db")]
    assert sum(n > 0 for n in per_process) >= 2, per_process
    for _ in range(6):
        text, after = scrape(base)
        predicted = value(
            after, "mlpforge_http_requests_total", method="POST", route=PREDICT_ROUTE, status="200"
        )
        assert predicted == requests
        assert (
            value(after, "mlpforge_prediction_rows_total", protocol="v1")
            - value(before, "mlpforge_prediction_rows_total", protocol="v1")
            == requests * rows
        )
    assert value(after, "mlpforge_prediction_duration_seconds_count", protocol="v1") >= requests
    assert (
        value(
            after,
            "mlpforge_http_request_duration_seconds_count",
            method="POST",
            route=PREDICT_ROUTE,
        )
        == requests
    )
    assert value(
        after, "mlpforge_http_requests_total",
        method="GET", route="/v1/models/{model_id}", status="404",
    ) == 1  # fmt: skip
    assert (
        value(after, "mlpforge_http_requests_total", method="GET", route="unmatched", status="404")
        >= 1
    )

    # No id, tenant or key in any label: only templates.
    labels = re.findall(r'="([^"]*)"', text)
    for secret in (model_id, dataset["id"], job["id"], "alice", api_keys["alice"]):
        assert not any(secret in label for label in labels), secret

    # The fleet, from Redis: the job, its training and its duration, workers and queues.
    assert value(after, "mlpforge_redis_up") == 1
    grew = {
        ("mlpforge_jobs_finished_total", ("status", "succeeded")): 1,
        ("mlpforge_job_duration_seconds_count", ("status", "succeeded")): 1,
        ("mlpforge_training_epochs_total", ("device", "cpu")): 1,
        ("mlpforge_training_samples_total", ("device", "cpu")): 120,
    }
    for (name, (label, label_value)), least in grew.items():
        gained = value(after, name, **{label: label_value}) - value(
            before, name, **{label: label_value}
        )
        assert gained >= least, (name, gained)
    assert value(after, "mlpforge_training_seconds_total", device="cpu") > 0
    assert value(after, "mlpforge_workers", queue="cpu") >= 1
    assert ("mlpforge_queue_depth", (("queue", "cpu"),)) in after
    assert ("mlpforge_jobs", (("status", "queued"),)) in after
    assert {
        "mlpforge_http_requests", "mlpforge_http_request_duration_seconds",
        "mlpforge_prediction_rows", "mlpforge_prediction_duration_seconds",
        "mlpforge_redis_errors", "mlpforge_jobs", "mlpforge_jobs_finished",
        "mlpforge_queue_depth", "mlpforge_workers", "mlpforge_training_samples",
        "mlpforge_training_samples_per_second", "mlpforge_job_duration_seconds",
    } <= families(text)  # fmt: skip


def test_metrics_outlive_redis_and_count_its_errors(
    isolated_redis: RedisServer, api_keys: dict[str, str]
) -> None:
    """A single API process (no multiprocess folder): Redis going away is a 503 for the
    request that needed it, counted, and /metrics still answers, saying Redis is down."""
    keys = ",".join(f"{tenant}:{key}" for tenant, key in api_keys.items())
    proc, base = start_api(
        f"{isolated_redis.base_url}/0", name="metrics-outage", MLPFORGE_API_KEYS=keys,
        MLPFORGE_RATE_LIMIT_PER_SECOND="0",
    )  # fmt: skip
    try:
        _, before = scrape(base)
        assert value(before, "mlpforge_redis_up") == 1
        isolated_redis.stop()
        headers = {"Authorization": f"Bearer {api_keys['alice']}"}
        assert httpx.get(f"{base}/v1/datasets", headers=headers, timeout=10).status_code == 503
        _, after = scrape(base)
        assert value(after, "mlpforge_redis_up") == 0
        assert ("mlpforge_jobs", (("status", "queued"),)) not in after
        errors = value(after, "mlpforge_redis_errors_total", kind="unavailable")
        assert errors - value(before, "mlpforge_redis_errors_total", kind="unavailable") >= 2
    finally:
        proc.stop()
