"""Which array module trains a job: numpy, or CuPy on a GPU worker."""

from __future__ import annotations

import importlib
from types import ModuleType


def array_module(device: str) -> ModuleType | None:
    """CuPy for "gpu" (and for "auto" when CuPy and a GPU are present); None means numpy."""
    if device == "cpu":
        return None
    try:
        cupy = importlib.import_module("cupy")
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy
    except Exception:  # no CuPy or no CUDA device: this worker trains on the CPU
        if device == "gpu":
            raise ValueError("device: this job asks for a GPU but this worker has none") from None
    return None
