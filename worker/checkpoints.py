"""When the end of an epoch also writes a checkpoint.

A checkpoint (weights, optimizer state, the best weights so far) costs as much as a few MB
serialized and sent to Redis: ~20 ms for a 235,000-parameter network, which on a fast fit is
8% of a 0.25 s epoch. It is written once `COST_FACTOR` times its own last cost has passed
(at least `MIN_SECS`, at most `MAX_SECS`), so it takes about 1% of the training time, and a
worker that dies loses at most that interval plus one epoch: the next worker resumes from the
last checkpoint (or from the start) and recomputes the lost epochs bit for bit; the history
never records an epoch twice.
"""

from __future__ import annotations

import time

MIN_SECS = 2.0
MAX_SECS = 60.0
COST_FACTOR = 100.0


class CheckpointSchedule:
    def __init__(self) -> None:
        self._last = time.monotonic()
        self._cost = 0.0

    def due(self) -> bool:
        interval = min(MAX_SECS, max(MIN_SECS, COST_FACTOR * self._cost))
        return time.monotonic() - self._last >= interval

    def taken(self, seconds: float) -> None:
        """A checkpoint was just written and took ``seconds`` (serializing and storing)."""
        self._cost = seconds
        self._last = time.monotonic()
