"""Seconds per phase of one training attempt, logged as one line when it ends.

The line (``job <id> timings (s): load_dataset=… prepare=… fit=… checkpoint=… record_epoch=…
publish=… total=…``) is what `bench/service.py` reads to split a job's time between the
engine and the service; ``fit`` includes ``checkpoint`` and ``record_epoch``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Timings:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - began)

    def add(self, name: str, seconds: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    def summary(self) -> str:
        total = time.perf_counter() - self.started
        phases = [*self.phases.items(), ("total", total)]
        return " ".join(f"{name}={secs:.4f}" for name, secs in phases)
