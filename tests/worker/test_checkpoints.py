"""Checkpoints are written every epoch when they are cheap against the time between them."""

from __future__ import annotations

import pytest

from worker import checkpoints
from worker.checkpoints import CheckpointSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(checkpoints.time, "monotonic", fake)
    return fake


def test_the_first_checkpoint_waits_for_the_minimum_interval(clock: Clock) -> None:
    schedule = CheckpointSchedule()
    clock.now += checkpoints.MIN_SECS / 2
    assert not schedule.due()
    clock.now += checkpoints.MIN_SECS / 2
    assert schedule.due()


def test_an_expensive_checkpoint_is_written_less_often(clock: Clock) -> None:
    schedule = CheckpointSchedule()
    schedule.taken(0.1)  # 100 × 0.1 s: the next one after 10 s
    clock.now += 9.9
    assert not schedule.due()
    clock.now += 0.2
    assert schedule.due()
    schedule.taken(10.0)  # never longer apart than MAX_SECS
    clock.now += checkpoints.MAX_SECS + 0.01
    assert schedule.due()
