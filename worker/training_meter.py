"""This worker process's training throughput and job durations, pushed to Redis for /metrics.

Epochs are counted in memory and written at most every `FLUSH_SECS` (a tiny job's epochs
must not each cost a Redis write), and when a job ends. A report that fails (Redis away) is
kept and added to the next one: metrics never stop or slow training.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import UTC, datetime

import redis

from store import JobRecord
from store.fleet_metrics import report_job_duration, report_training

log = logging.getLogger(__name__)

FLUSH_SECS = 5.0


class TrainingMeter:
    def __init__(self) -> None:
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._pending: dict[str, list[float]] = {}  # device → [samples, seconds, epochs]
        self._flushed_at = time.monotonic()

    def epoch(self, client: redis.Redis, device: str | None, rows: int, seconds: float) -> None:
        """One finished epoch over ``rows`` training rows that took ``seconds``."""
        pending = self._pending.setdefault(device or "cpu", [0.0, 0.0, 0.0])
        pending[0] += rows
        pending[1] += seconds
        pending[2] += 1
        if time.monotonic() - self._flushed_at >= FLUSH_SECS:
            self.flush(client)

    def flush(self, client: redis.Redis) -> None:
        self._flushed_at = time.monotonic()
        for device, (samples, seconds, epochs) in list(self._pending.items()):
            try:
                report_training(
                    client,
                    worker=self.worker,
                    device=device,
                    samples=int(samples),
                    seconds=seconds,
                    epochs=int(epochs),
                )
            except redis.RedisError:
                log.debug("training metrics not reported; kept for the next report", exc_info=True)
                return
            del self._pending[device]

    def job_finished(self, client: redis.Redis, job: JobRecord, status: str) -> None:
        """The job ended with ``status``: its duration since it first started, and this
        process's pending epochs."""
        self.flush(client)
        if job.started_at is None:
            return
        started = datetime.fromisoformat(job.started_at.replace("Z", "+00:00"))
        seconds = max(0.0, (datetime.now(UTC) - started).total_seconds())
        try:
            report_job_duration(client, status=status, seconds=seconds)
        except redis.RedisError:
            log.debug("job duration not reported", exc_info=True)


METER = TrainingMeter()
