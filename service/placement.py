"""Where a job is queued, from the device it asks for and the GPU workers alive now.

A "gpu" job waits for a GPU worker and never runs on a CPU one; submitted while no GPU worker
beats, it is refused (MLPFORGE_REFUSE_GPU_WITHOUT_WORKER) or accepted with a warning on the
job, so that a queue nobody consumes is never a silent wait. "auto" goes to the GPU workers
while one is alive, else to the CPU workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from mlpforge.queueing import GPU_QUEUE, queue_for
from service.errors import ApiError
from store import workers

NO_GPU_WORKER = (
    "no GPU worker is alive: this job waits in the gpu queue until one starts "
    "(a 'gpu' job never runs on a CPU worker; submit with device 'auto' or 'cpu' to use one)"
)


@dataclass(frozen=True)
class Placement:
    queue: str
    warnings: list[str] = field(default_factory=list)


def place(client: redis.Redis, device: str, *, refuse_gpu_without_worker: bool) -> Placement:
    if device == "cpu":
        return Placement(queue_for(device))
    gpu_workers = workers.serving(client, GPU_QUEUE)
    if device == "gpu" and gpu_workers == 0:
        if refuse_gpu_without_worker:
            raise ApiError(
                422,
                "device: 'gpu' asked for, but no GPU worker is alive; retry once one runs, "
                "or submit with device 'auto' or 'cpu'",
                errors=[{"loc": ["body", "device"], "msg": "no GPU worker is alive"}],
            )
        return Placement(queue_for(device), [NO_GPU_WORKER])
    return Placement(queue_for(device, gpu_workers=gpu_workers))
