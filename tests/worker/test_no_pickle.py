"""A pickled task message on the queue is refused by the worker: nothing is ever unpickled."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from kombu import Connection

from mlpforge.queueing import CPU_QUEUE, TRAIN_TASK
from tests.processes import Process


class Payload:
    """Unpickling this would create a file: proof of code execution."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.path}",))


def test_worker_refuses_pickle(redis_url: str, worker: Process, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    task_id = str(uuid.uuid4())
    with Connection(redis_url) as connection:
        connection.Producer().publish(
            ((Payload(str(marker)),), {}, {}),
            routing_key=CPU_QUEUE,
            serializer="pickle",
            headers={"task": TRAIN_TASK, "id": task_id, "lang": "py"},
            declare=[],
        )
    refusal = "Refusing to deserialize untrusted content of type pickle"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and refusal not in worker.log():
        time.sleep(0.2)
    assert refusal in worker.log(), worker.log()
    assert not marker.exists()
    assert worker.alive()
