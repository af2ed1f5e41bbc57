"""Helpers for the event-stream tests: a job whose worker the test plays, and an SSE reader.

Playing the worker through the real store (on a real Redis) lets a test decide exactly when
each epoch's event is written, while streams open and close around it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import redis

from store import Store
from store.ids import new_id


class PlayedJob:
    """A running job of ``tenant`` whose epochs and end the test writes, as a worker would."""

    def __init__(self, client: redis.Redis, tenant: str) -> None:
        self.store = Store(client, tenant)
        record = self.store.jobs.new_record(
            dataset_id=new_id("ds"), task="classification", params={}, max_runtime_secs=3600
        )
        self.store.jobs.create(record)
        self.id = record.id
        self.store.jobs.start(self.id, lease_secs=3600)
        self.epochs = 0

    def epoch(self) -> str:
        """Record the next epoch; its event id."""
        self.epochs += 1
        entry = {
            "epoch": self.epochs,
            "loss": 1.0 / self.epochs,
            "val_loss": None,
            "val_score": None,
            "learning_rate": 0.001,
            "seconds": 0.01,
        }
        self.store.jobs.record_epoch(
            self.id, attempt=1, entry=entry, progress=min(1.0, self.epochs / 100), checkpoint=None
        )
        return f"{self.epochs}-0"

    def finish(self) -> None:
        self.store.jobs.finish(self.id, status="succeeded", attempt=1)


@dataclass
class Frame:
    id: str | None = None
    event: str | None = None
    data: Any = None
    comments: list[str] = field(default_factory=list)
    retry: int | None = None


def parse_line(line: str, current: Frame, frames: list[Frame]) -> Frame:
    """Fold one line of an event stream into ``current``; a blank line ends the frame."""
    if line == "":
        frames.append(current)
        return Frame()
    name, _, value = line.partition(":")
    value = value.removeprefix(" ")
    if name == "":
        current.comments.append(value)
    elif name == "id":
        current.id = value
    elif name == "event":
        current.event = value
    elif name == "data":
        current.data = orjson.loads(value)
    elif name == "retry":
        current.retry = int(value)
    return current


def events(frames: list[Frame]) -> list[Frame]:
    return [frame for frame in frames if frame.event is not None]


def read_stream(response: httpx.Response, within_secs: float = 60.0) -> list[Frame]:
    """Every frame until the server ends the stream (the response must be open, status 200),
    which it must do within ``within_secs`` (checked as lines arrive: keep-alives come often)."""
    deadline = time.monotonic() + within_secs
    frames: list[Frame] = []
    current = Frame()
    for line in response.iter_lines():
        current = parse_line(line, current, frames)
        assert time.monotonic() < deadline, f"the stream is still open after {within_secs} s"
    return frames


def assert_events(frames: list[Frame], first_epoch: int, last_epoch: int, status: str) -> None:
    """Exactly the progress events first..last, in order, then the final status event."""
    got = events(frames)
    assert [frame.id for frame in got] == [f"{k}-0" for k in range(first_epoch, last_epoch + 1)] + [
        f"{last_epoch}-1"
    ], [frame.id for frame in got]
    assert all(frame.event == "progress" for frame in got[:-1])
    assert [frame.data["epoch"] for frame in got[:-1]] == list(range(first_epoch, last_epoch + 1))
    final = got[-1]
    assert final.event == "status" and final.data["status"] == status, final
    assert final.data["epoch"] == last_epoch  # the job body, not just {"status": ...}
