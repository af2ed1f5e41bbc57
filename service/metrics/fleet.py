"""The fleet's numbers (store.fleet_metrics) as Prometheus metric families, read at scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from store.fleet_metrics import FleetSnapshot
from store.records import FINISHED

Family = CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily


class FleetCollector(Collector):
    """One scrape's view of Redis; ``snapshot`` None: Redis did not answer (only ``up`` 0)."""

    def __init__(self, snapshot: FleetSnapshot | None) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Family]:
        up = GaugeMetricFamily(
            "mlpforge_redis_up", "Whether Redis answered this scrape (1) or not (0)."
        )
        up.add_metric([], 0 if self.snapshot is None else 1)
        yield up
        if self.snapshot is None:
            return
        yield from _jobs(self.snapshot)
        yield from _queues(self.snapshot)
        yield from _training(self.snapshot)


def _jobs(s: FleetSnapshot) -> Iterator[Family]:
    active = GaugeMetricFamily(
        "mlpforge_jobs", "Jobs queued or running now, all tenants.", labels=["status"]
    )
    active.add_metric(["queued"], s.queued)
    active.add_metric(["running"], s.running)
    yield active
    finished = CounterMetricFamily(
        "mlpforge_jobs_finished", "Jobs that ended, by final status, all tenants.",
        labels=["status"],
    )  # fmt: skip
    for status in sorted(FINISHED):
        finished.add_metric([status], s.finished.get(status, 0))
    yield finished
    durations = HistogramMetricFamily(
        "mlpforge_job_duration_seconds",
        "From a job's first start to its end, by final status, as its workers reported it.",
        labels=["status"],
    )
    for status, histogram in sorted(s.durations.items()):
        durations.add_metric([status], histogram.buckets, histogram.sum)
    yield durations


def _queues(s: FleetSnapshot) -> Iterator[Family]:
    depth = GaugeMetricFamily(
        "mlpforge_queue_depth", "Training messages waiting in each broker queue.",
        labels=["queue"],
    )  # fmt: skip
    for queue, length in sorted(s.queue_depth.items()):
        depth.add_metric([queue], length)
    yield depth
    live = GaugeMetricFamily(
        "mlpforge_workers", "Live workers consuming each queue (heartbeats).", labels=["queue"]
    )
    for queue, count in sorted(s.workers.items()):
        live.add_metric([queue], count)
    yield live


_TOTALS = {
    "samples": ("mlpforge_training_samples", "Training rows processed (rows × epochs)."),
    "seconds": ("mlpforge_training_seconds", "Seconds spent in training epochs."),
    "epochs": ("mlpforge_training_epochs", "Training epochs finished."),
}


def _training(s: FleetSnapshot) -> Iterator[Family]:
    for kind, (name, text) in _TOTALS.items():
        family = CounterMetricFamily(name, f"{text} All workers, by device.", labels=["device"])
        for device, total in sorted(s.training.get(kind, {}).items()):
            family.add_metric([device], total)
        yield family
    rate = GaugeMetricFamily(
        "mlpforge_training_samples_per_second",
        "Training throughput of the workers that reported in the last 30 s, by device.",
        labels=["device"],
    )
    for device, value in sorted(s.rates.items()):
        rate.add_metric([device], value)
    yield rate
