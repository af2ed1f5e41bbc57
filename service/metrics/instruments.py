"""The API process's own instruments: HTTP traffic, predictions, Redis errors.

With ``PROMETHEUS_MULTIPROC_DIR`` set (the launcher sets it for `make run` / `make api`, to a
fresh folder under .run/), prometheus-client keeps every value in a file of that folder per
process, so a scrape answered by any of several uvicorn workers sums them all; without it,
values live in this process (one API process). Only counters and histograms are used: they
sum correctly across processes, also across ones that died.
"""

from __future__ import annotations

import os
from typing import Literal

# prometheus-client picks its value store when it is first imported: the folder must exist.
if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(folder, exist_ok=True)

from prometheus_client import Counter, Histogram

# Seconds: a one-row prediction takes ~1 ms, an upload up to seconds, an event stream an hour.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600)

HTTP_REQUESTS = Counter(
    "mlpforge_http_requests",
    "HTTP requests answered, by route template (never a raw path), method and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "mlpforge_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["method", "route"],
    buckets=HTTP_BUCKETS,
)
PREDICTION_ROWS = Counter(
    "mlpforge_prediction_rows",
    "Rows predicted, by protocol (v1: /v1/models/{id}/predict, v2: /v2/models/{id}/infer).",
    ["protocol"],
)
PREDICTION_SECONDS = Histogram(
    "mlpforge_prediction_duration_seconds",
    "Time to compute and encode one prediction request's answer (parsing excluded).",
    ["protocol"],
    buckets=HTTP_BUCKETS,
)
REDIS_ERRORS = Counter(
    "mlpforge_redis_errors",
    "Requests answered with an error because of Redis: unavailable (503), pool_exhausted "
    "(503, this process's connections all busy), out_of_memory (507).",
    ["kind"],
)


# Known label values start at 0, so that rate() and alerts see them before the first event.
# Their children are kept: `labels()` takes a lock and builds a key on every call, a few µs of
# a one-row prediction's budget.
_PREDICTION_CHILDREN = {
    protocol: (PREDICTION_ROWS.labels(protocol), PREDICTION_SECONDS.labels(protocol))
    for protocol in ("v1", "v2")
}


def observe_prediction(rows: int, seconds: float, *, protocol: Literal["v1", "v2"]) -> None:
    counted, timed = _PREDICTION_CHILDREN[protocol]
    counted.inc(rows)
    timed.observe(seconds)


for _kind in ("unavailable", "pool_exhausted", "out_of_memory"):
    REDIS_ERRORS.labels(_kind)
