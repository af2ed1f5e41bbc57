"""Which device trains a job, and its array module: numpy on the CPU, CuPy on a GPU.

A job that asks for "gpu" is never trained on the CPU behind its back: without a usable
CUDA device it fails with `GpuUnavailable`. "auto" takes the GPU when there is one.
"""

from __future__ import annotations

import importlib
import socket
from functools import lru_cache
from types import ModuleType
from typing import Literal

Device = Literal["cpu", "gpu"]


class GpuUnavailable(ValueError):
    """The job asks for a GPU and this worker has no usable one."""


@lru_cache(maxsize=1)
def _cupy() -> ModuleType | None:
    """CuPy when it imports and sees a CUDA device; probed once, in the process that trains
    (never in the Celery parent: CUDA does not survive a fork)."""
    try:
        cupy = importlib.import_module("cupy")
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy
    except Exception:  # no CuPy, no driver, no device: all mean "no GPU here"
        pass
    return None


def device_for(requested: str) -> Device:
    """The device a job that asked for ``requested`` trains on in this process."""
    if requested == "cpu":
        return "cpu"
    if _cupy() is not None:
        return "gpu"
    if requested == "gpu":
        raise GpuUnavailable(
            f"device: the job asks for a GPU, but the worker that took it ({socket.gethostname()})"
            " has no usable CUDA device (CuPy missing, or no GPU visible), and a 'gpu' job is "
            "never trained on the CPU instead; run a GPU worker (MLPFORGE_WORKER_QUEUES=gpu, "
            "the 'gpu' extra, a CUDA device) or submit with device 'cpu' or 'auto'"
        )
    return "cpu"


def array_module(device: str) -> ModuleType | None:
    """CuPy for a job on the GPU, None (numpy) on the CPU; `GpuUnavailable` as `device_for`."""
    return _cupy() if device_for(device) == "gpu" else None
